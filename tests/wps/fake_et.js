// A test double of the part of WPS 表格's ET object model (window.Application) that the xlperf add-in
// uses (xlperf/addin/wps/js/xlperf.js), holding cell state and recording every call; the JS
// counterpart of tests/xlwings_double.py.
//
// It behaves as ET/Excel does where that matters to the add-in:
// * a string assigned to Value2/Formula is parsed as if typed: 'x is the text x, =… a formula, 12 a
//   number, 50% a number with a percent format, TRUE a boolean;
// * Value2 of a multi-cell range is an array of rows; writing a block that covers only part of a
//   merged area throws, as ET does;
// * Interior.Color is a BGR number (16777215 for no fill), ColorIndex/Pattern -4142 for no fill, null
//   when mixed; NumberFormat is null when mixed; multi-area addresses of 255 characters or more throw;
// * Rows(...).Insert shifts cells, merges and the sheet's formulas as Excel does; Delete with
//   DisplayAlerts on throws (it would show a prompt); AddComment on a cell with a note throws.
// Formulas are not calculated: a formula cell's Value2 is empty.
//
// The initial workbook is window.FAKE_STATE: {active, selection, pick, sheets: [{name, visible,
// cells: {A1: {v, f, fmt, fill, note}}, merges: ["A1:B2"]}]}; window.FAKE.dump() gives the same shape.
(function (global) {
  "use strict";

  var log = [];
  var writesWhileOn = [];
  var app;

  function colLetter(c) {
    var s = "";
    c += 1;
    while (c > 0) { var m = (c - 1) % 26; s = String.fromCharCode(65 + m) + s; c = Math.floor((c - 1) / 26); }
    return s;
  }
  function a1(r, c) { return colLetter(c) + (r + 1); }
  function parseA1(ref) {
    var m = /^\$?([A-Za-z]{1,3})\$?(\d+)$/.exec(ref);
    if (!m) throw new Error("fake ET: bad reference " + ref);
    var c = 0;
    for (var i = 0; i < m[1].length; i++) c = c * 26 + (m[1].toUpperCase().charCodeAt(i) - 64);
    return [parseInt(m[2], 10) - 1, c - 1];
  }
  function parseArea(ref) {
    var p = ref.split(":");
    if (/^\d+$/.test(p[0])) { // whole rows "5:7"
      return [parseInt(p[0], 10) - 1, 0, parseInt(p[1] || p[0], 10) - 1, 16383];
    }
    var a = parseA1(p[0]), b = p.length > 1 ? parseA1(p[1]) : a;
    return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
  }

  function use(what, mutating) {
    log.push(what);
    if (mutating && app && app.ScreenUpdating) writesWhileOn.push(what);
  }

  function parseTyped(v) { // what a cell holds after a value is assigned as if typed
    if (v === null || v === undefined || v === "") return { v: null, f: null };
    if (typeof v !== "string") return { v: v, f: null };
    if (v.charAt(0) === "'") return { v: v.slice(1), f: null };
    if (v.length > 1 && (v.charAt(0) === "=" || v.charAt(0) === "+" || v.charAt(0) === "@")) return { v: null, f: v.charAt(0) === "=" ? v : "=" + v.slice(1) };
    if (/^-?\d+(\.\d+)?$/.test(v)) return { v: parseFloat(v), f: null };
    if (/^-?\d+(\.\d+)?%$/.test(v)) return { v: parseFloat(v) / 100, f: null, fmt: "0%" };
    if (v === "TRUE" || v === "FALSE") return { v: v === "TRUE", f: null };
    if (v.charAt(0) === "-" && v.length > 1) return { v: null, f: "=" + v };
    return { v: v, f: null };
  }

  function shiftFormula(f, row0, count) { // Excel's reference update for rows inserted before row0 (0-based)
    return f.replace(/(\$?)([A-Z]{1,3})(\$?)(\d+)(?![\d(])/g, function (all, d1, col, d2, row) {
      var r = parseInt(row, 10);
      return r - 1 >= row0 ? d1 + col + d2 + (r + count) : all;
    });
  }

  // -- sheets and cells ------------------------------------------------------------------------------

  function Sheet(book, data) {
    this.book = book;
    this.name = data.name;
    this.visible = data.visible === undefined ? -1 : data.visible;
    this.cells = {};
    this.merges = (data.merges || []).map(parseArea);
    this.links = [];
    this.widths = {};
    var self = this;
    Object.keys(data.cells || {}).forEach(function (ref) {
      var c = data.cells[ref];
      var rc = parseA1(ref);
      self.cells[rc[0] + "," + rc[1]] = { v: c.v === undefined ? null : c.v, f: c.f || null, fmt: c.fmt || "General", fill: c.fill || null, note: c.note || null, bold: false, font: null };
    });
  }

  Sheet.prototype.cell = function (r, c, create) {
    var k = r + "," + c;
    if (!this.cells[k] && create) this.cells[k] = { v: null, f: null, fmt: "General", fill: null, note: null, bold: false, font: null };
    return this.cells[k] || null;
  };

  Sheet.prototype.mergeAt = function (r, c) {
    for (var i = 0; i < this.merges.length; i++) {
      var m = this.merges[i];
      if (m[0] <= r && r <= m[2] && m[1] <= c && c <= m[3]) return m;
    }
    return null;
  };

  Sheet.prototype.used = function () {
    var r0 = Infinity, c0 = Infinity, r1 = -1, c1 = -1;
    var self = this;
    Object.keys(this.cells).forEach(function (k) {
      var x = self.cells[k];
      if (x.v === null && !x.f && !x.fill && !x.note && x.fmt === "General" && !x.bold) return;
      var p = k.split(",").map(Number);
      r0 = Math.min(r0, p[0]); c0 = Math.min(c0, p[1]); r1 = Math.max(r1, p[0]); c1 = Math.max(c1, p[1]);
    });
    this.merges.forEach(function (m) { r0 = Math.min(r0, m[0]); c0 = Math.min(c0, m[1]); r1 = Math.max(r1, m[2]); c1 = Math.max(c1, m[3]); });
    if (r1 < 0) return [0, 0, 0, 0];
    return [r0, c0, r1, c1];
  };

  function Worksheet(sheet) { this._s = sheet; }
  Object.defineProperty(Worksheet.prototype, "Name", {
    get: function () { use("Worksheet.Name"); return this._s.name; },
    set: function (v) {
      use("Worksheet.Name=", true);
      if (this._s.book.sheets.some(function (s) { return s.name === v; })) throw new Error("fake ET: duplicate sheet name " + v);
      this._s.name = v;
    }
  });
  Object.defineProperty(Worksheet.prototype, "Visible", {
    get: function () { use("Worksheet.Visible"); return this._s.visible; },
    set: function (v) { use("Worksheet.Visible=", true); this._s.visible = v; }
  });
  Object.defineProperty(Worksheet.prototype, "UsedRange", {
    get: function () { use("Worksheet.UsedRange"); var u = this._s.used(); return new Range(this._s, [u]); }
  });
  Object.defineProperty(Worksheet.prototype, "Comments", {
    get: function () {
      use("Worksheet.Comments");
      var s = this._s;
      var keys = Object.keys(s.cells).filter(function (k) { return s.cells[k].note; }).map(function (k) { return k.split(",").map(Number); });
      keys.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
      return { Count: keys.length, Item: function (i) { var k = keys[i - 1]; return new Comment(s, k[0], k[1]); } };
    }
  });
  Object.defineProperty(Worksheet.prototype, "Hyperlinks", {
    get: function () {
      var s = this._s;
      return {
        Add: function (anchor, address, subAddress, tip, text) {
          use("Hyperlinks.Add", true);
          var a = anchor._areas[0];
          s.links.push({ cell: a1(a[0], a[1]), target: subAddress, text: text });
          s.cell(a[0], a[1], true).v = text;
        }
      };
    }
  });
  Worksheet.prototype.Range = function (ref, ref2) {
    use("Worksheet.Range");
    if (ref2 !== undefined) ref = ref + ":" + ref2;
    if (ref.length >= 255) throw new Error("fake ET: address of 255 characters or more");
    return new Range(this._s, ref.split(",").map(parseArea));
  };
  Worksheet.prototype.Cells = function (r, c) { use("Worksheet.Cells"); return new Range(this._s, [[r - 1, c - 1, r - 1, c - 1]]); };
  Worksheet.prototype.Activate = function () { use("Worksheet.Activate"); this._s.book.active = this._s; };
  Worksheet.prototype.Delete = function () {
    use("Worksheet.Delete", true);
    if (app.DisplayAlerts) throw new Error("fake ET: Delete with DisplayAlerts on would ask the user");
    var b = this._s.book;
    b.sheets = b.sheets.filter(function (x) { return x !== this._s; }, this);
    if (b.active === this._s) b.active = b.sheets[0];
  };

  function Comment(sheet, r, c) { this._s = sheet; this._r = r; this._c = c; }
  Comment.prototype.Text = function (t) {
    var cell = this._s.cell(this._r, this._c, true);
    if (t === undefined) { use("Comment.Text"); return cell.note; }
    use("Comment.Text=", true);
    cell.note = t;
    return t;
  };
  Comment.prototype.Delete = function () { use("Comment.Delete", true); this._s.cell(this._r, this._c, true).note = null; };
  Object.defineProperty(Comment.prototype, "Parent", { get: function () { return new Range(this._s, [[this._r, this._c, this._r, this._c]]); } });

  // -- ranges ----------------------------------------------------------------------------------------

  function Range(sheet, areas) { this._s = sheet; this._areas = areas; }

  Range.prototype.each = function (fn) {
    var s = this._s;
    this._areas.forEach(function (a) {
      var r1 = Math.min(a[2], Math.max(a[0], s.used()[2] + 64)), c1 = Math.min(a[3], Math.max(a[1], s.used()[3] + 64));
      for (var r = a[0]; r <= r1; r++) for (var c = a[1]; c <= c1; c++) fn(r, c);
    });
  };

  function uniform(range, get) {
    var first, seen = false, same = true;
    range.each(function (r, c) {
      var v = get(range._s.cell(r, c, false));
      if (!seen) { first = v; seen = true; } else if (v !== first) same = false;
    });
    return same ? first : null;
  }

  function props(names) {
    names.forEach(function (n) {
      Object.defineProperty(Range.prototype, n[0], { get: n[1], set: n[2] });
    });
  }

  function write(range, values, formula) {
    var a = range._areas[0];
    var s = range._s;
    var rows = Array.isArray(values) ? values : null;
    var multi = a[0] !== a[2] || a[1] !== a[3];
    if (multi) { // a block may not cover part of a merged area
      s.merges.forEach(function (m) {
        var inter = !(m[2] < a[0] || m[0] > a[2] || m[3] < a[1] || m[1] > a[3]);
        var inside = m[0] >= a[0] && m[2] <= a[2] && m[1] >= a[1] && m[3] <= a[3];
        if (inter && !inside) throw new Error("fake ET: cannot change part of a merged cell");
      });
    } else {
      var m = s.mergeAt(a[0], a[1]);
      if (m && (m[0] !== a[0] || m[1] !== a[1])) throw new Error("fake ET: write into a covered cell of a merged area");
    }
    for (var r = a[0]; r <= a[2]; r++) {
      for (var c = a[1]; c <= a[3]; c++) {
        var v = rows ? (rows[r - a[0]] || [])[c - a[1]] : values;
        if (rows && !Array.isArray(rows[r - a[0]])) throw new Error("fake ET: Value2 needs an array of rows");
        var t = parseTyped(v);
        var cell = s.cell(r, c, true);
        cell.v = t.v;
        cell.f = t.f;
        if (t.fmt && cell.fmt === "General") cell.fmt = t.fmt;
      }
    }
    use(formula ? "Range.Formula=" : "Range.Value2=", true);
  }

  function read(range, get) {
    var a = range._areas[0];
    if (a[0] === a[2] && a[1] === a[3]) return get(range._s.cell(a[0], a[1], false), a[0], a[1]);
    var out = [];
    for (var r = a[0]; r <= a[2]; r++) {
      var row = [];
      for (var c = a[1]; c <= a[3]; c++) row.push(get(range._s.cell(r, c, false), r, c));
      out.push(row);
    }
    return out;
  }

  props([
    ["Value2", function () {
      use("Range.Value2");
      return read(this, function (x) { return x && !x.f ? x.v : undefined; });
    }, function (v) { write(this, v, false); }],
    ["Formula", function () {
      use("Range.Formula");
      return read(this, function (x) { return x ? (x.f || (x.v === null ? "" : String(x.v))) : ""; });
    }, function (v) { write(this, v, true); }],
    ["NumberFormat", function () { use("Range.NumberFormat"); return uniform(this, function (x) { return x ? x.fmt : "General"; }); },
      function (v) { use("Range.NumberFormat=", true); var s = this._s; this.each(function (r, c) { s.cell(r, c, true).fmt = v; }); }],
    ["Row", function () { return this._areas[0][0] + 1; }],
    ["Column", function () { return this._areas[0][1] + 1; }],
    ["Rows", function () { var a = this._areas[0]; return { Count: a[2] - a[0] + 1 }; }],
    ["Columns", function () { var a = this._areas[0]; return { Count: a[3] - a[1] + 1 }; }],
    ["MergeArea", function () {
      use("Range.MergeArea");
      var a = this._areas[0];
      var m = this._s.mergeAt(a[0], a[1]);
      return new Range(this._s, [m ? m.slice() : [a[0], a[1], a[0], a[1]]]);
    }],
    ["MergeCells", function () {
      use("Range.MergeCells");
      var s = this._s;
      var any = false, all = true;
      this.each(function (r, c) { if (s.mergeAt(r, c)) any = true; else all = false; });
      return all ? true : (any ? null : false);
    }],
    ["Comment", function () {
      use("Range.Comment");
      var a = this._areas[0];
      var x = this._s.cell(a[0], a[1], false);
      return x && x.note ? new Comment(this._s, a[0], a[1]) : null;
    }],
    ["Interior", function () { return new Interior(this); }],
    ["ColumnWidth", undefined, function (w) { // the width of the range's columns
      use("Range.ColumnWidth=", true);
      var a = this._areas[0];
      for (var c = a[1]; c <= a[3]; c++) this._s.widths[c + 1] = w;
    }],
    ["Font", function () { return new Font(this); }]
  ]);

  Range.prototype.Merge = function () {
    use("Range.Merge", true);
    var a = this._areas[0];
    var s = this._s;
    s.merges = s.merges.filter(function (m) { return m[2] < a[0] || m[0] > a[2] || m[3] < a[1] || m[1] > a[3]; });
    s.merges.push(a.slice());
    for (var r = a[0]; r <= a[2]; r++) for (var c = a[1]; c <= a[3]; c++) {
      if (r === a[0] && c === a[1]) continue;
      var x = s.cell(r, c, false);
      if (x) { x.v = null; x.f = null; }
    }
  };
  Range.prototype.UnMerge = function () {
    use("Range.UnMerge", true);
    var a = this._areas[0];
    this._s.merges = this._s.merges.filter(function (m) { return m[2] < a[0] || m[0] > a[2] || m[3] < a[1] || m[1] > a[3]; });
  };
  Range.prototype.AddComment = function (text) {
    use("Range.AddComment", true);
    var a = this._areas[0];
    var x = this._s.cell(a[0], a[1], true);
    if (x.note) throw new Error("fake ET: the cell already has a comment");
    x.note = text;
    return new Comment(this._s, a[0], a[1]);
  };
  Range.prototype.Insert = function (shift, origin) {
    use("Range.Insert", true);
    var a = this._areas[0];
    var s = this._s, row0 = a[0], count = a[2] - a[0] + 1;
    if (a[1] !== 0 || a[3] !== 16383 || shift !== -4121) throw new Error("fake ET: only whole rows shifted down");
    var moved = {};
    Object.keys(s.cells).forEach(function (k) {
      var p = k.split(",").map(Number);
      moved[(p[0] >= row0 ? p[0] + count : p[0]) + "," + p[1]] = s.cells[k];
    });
    s.cells = moved;
    s.merges = s.merges.map(function (m) {
      if (m[0] >= row0) return [m[0] + count, m[1], m[2] + count, m[3]];
      if (m[2] >= row0) return [m[0], m[1], m[2] + count, m[3]];
      return m;
    });
    s.book.sheets.forEach(function (sh) {
      Object.keys(sh.cells).forEach(function (k) {
        var x = sh.cells[k];
        if (x.f && sh === s) x.f = shiftFormula(x.f, row0, count);
      });
    });
    var from = origin === 1 ? row0 + count : row0 - 1; // the row whose formats the new rows take
    if (from >= 0) copyFormats(s, from, row0, count);
  };
  function copyFormats(s, from, row0, count) {
    Object.keys(s.cells).forEach(function (k) {
      var p = k.split(",").map(Number);
      if (p[0] !== from) return;
      for (var r = row0; r < row0 + count; r++) {
        var x = s.cell(r, p[1], true);
        x.fill = s.cells[k].fill;
        x.fmt = s.cells[k].fmt;
      }
    });
  }
  var clipboard = null;
  Range.prototype.Copy = function () { use("Range.Copy"); clipboard = this; };
  Range.prototype.PasteSpecial = function (what) {
    use("Range.PasteSpecial", true);
    if (what !== -4122 || !clipboard) throw new Error("fake ET: only formats can be pasted");
    var a = this._areas[0];
    copyFormats(this._s, clipboard._areas[0][0], a[0], a[2] - a[0] + 1);
  };

  function Interior(range) { this._r = range; }
  Object.defineProperty(Interior.prototype, "Color", {
    get: function () {
      use("Interior.Color");
      var v = uniform(this._r, function (x) { return x && x.fill ? x.fill : ""; });
      if (v === null) return null;
      if (!v) return 16777215;
      var n = parseInt(v, 16);
      return ((n & 0xff) << 16) | (n & 0xff00) | ((n >> 16) & 0xff);
    },
    set: function (bgr) {
      use("Interior.Color=", true);
      var hex = [bgr & 0xff, (bgr >> 8) & 0xff, (bgr >> 16) & 0xff].map(function (x) { return (x < 16 ? "0" : "") + x.toString(16).toUpperCase(); }).join("");
      var s = this._r._s;
      this._r._areas.forEach(function (a) { for (var r = a[0]; r <= a[2]; r++) for (var c = a[1]; c <= a[3]; c++) s.cell(r, c, true).fill = hex; });
    }
  });
  function noFill(get) {
    return {
      get: function () {
        use(get);
        var v = uniform(this._r, function (x) { return !!(x && x.fill); });
        return v === null ? null : (v ? 1 : -4142);
      },
      set: function (v) {
        use(get + "=", true);
        if (v !== -4142) throw new Error("fake ET: only xlNone is supported for " + get);
        var s = this._r._s;
        this._r._areas.forEach(function (a) { for (var r = a[0]; r <= a[2]; r++) for (var c = a[1]; c <= a[3]; c++) { var x = s.cell(r, c, false); if (x) x.fill = null; } });
      }
    };
  }
  Object.defineProperty(Interior.prototype, "ColorIndex", noFill("Interior.ColorIndex"));
  Object.defineProperty(Interior.prototype, "Pattern", noFill("Interior.Pattern"));

  function Font(range) { this._r = range; }
  Object.defineProperty(Font.prototype, "Bold", { set: function (v) { use("Font.Bold=", true); var s = this._r._s; this._r.each(function (r, c) { s.cell(r, c, true).bold = v; }); } });
  Object.defineProperty(Font.prototype, "Color", { set: function (v) { use("Font.Color=", true); var s = this._r._s; this._r.each(function (r, c) { s.cell(r, c, true).font = v; }); } });

  // -- the workbook and the application ------------------------------------------------------------------

  function Book(state) {
    var self = this;
    this.name = state.book || "表.xlsx";
    this.fullName = state.fullName || this.name;
    this.sheets = state.sheets.map(function (d) { return new Sheet(self, d); });
    this.active = this.sheets.filter(function (s) { return s.name === state.active; })[0] || this.sheets[0];
    this.copies = [];
  }

  function Workbook(book) { this._b = book; }
  Object.defineProperty(Workbook.prototype, "Name", { get: function () { return this._b.name; } });
  Object.defineProperty(Workbook.prototype, "FullName", { get: function () { return this._b.fullName; } });
  Object.defineProperty(Workbook.prototype, "Worksheets", {
    get: function () {
      var b = this._b;
      return {
        get Count() { return b.sheets.length; },
        Item: function (i) {
          use("Worksheets.Item");
          var s = typeof i === "number" ? b.sheets[i - 1] : b.sheets.filter(function (x) { return x.name === i; })[0];
          if (!s) throw new Error("fake ET: no sheet " + i);
          return new Worksheet(s);
        },
        Add: function (before, after) {
          use("Worksheets.Add", true);
          var n = 1;
          while (b.sheets.some(function (x) { return x.name === "Sheet" + n; })) n++;
          var s = new Sheet(b, { name: "Sheet" + n });
          var at = after ? b.sheets.indexOf(after._s) + 1 : (before ? b.sheets.indexOf(before._s) : 0);
          b.sheets.splice(at, 0, s);
          b.active = s;
          return new Worksheet(s);
        }
      };
    }
  });
  Workbook.prototype.SaveCopyAs = function (path) { use("Workbook.SaveCopyAs"); this._b.copies.push({ path: path, at: log.length }); };

  function install(state) {
    var book = new Book(state);
    var opened = [];
    var statusLog = [];
    var alerts = [];
    var status = false;
    app = {
      ScreenUpdating: true, EnableEvents: true, Calculation: -4105, DisplayAlerts: true, CutCopyMode: false,
      get StatusBar() { return status; },
      set StatusBar(v) { status = v; statusLog.push(v); },
      get ActiveWorkbook() { return new Workbook(book); },
      get ActiveSheet() { return new Worksheet(book.active); },
      get ActiveCell() {
        var rc = parseA1(state.selection || "A1");
        return new Range(book.active, [[rc[0], rc[1], rc[0], rc[1]]]);
      },
      Workbooks: {
        Open: function (p) { use("Workbooks.Open"); opened.push(["open", p]); },
        Add: function (p) { use("Workbooks.Add"); opened.push(["add", p]); }
      },
      GetOpenFilename: function () { use("GetOpenFilename"); return state.pick || false; }
    };
    global.Application = app;
    global.alert = function (text) { alerts.push(String(text)); };
    global.FAKE = {
      dump: function () {
        return {
          active: book.active.name,
          sheets: book.sheets.map(function (s) {
            var cells = {};
            Object.keys(s.cells).forEach(function (k) {
              var x = s.cells[k];
              if (x.v === null && !x.f && !x.fill && !x.note) return;
              var p = k.split(",").map(Number);
              cells[a1(p[0], p[1])] = { v: x.v, f: x.f, fill: x.fill, note: x.note };
            });
            return {
              name: s.name, visible: s.visible, cells: cells, links: s.links,
              merges: s.merges.map(function (m) { return a1(m[0], m[1]) + ":" + a1(m[2], m[3]); }).sort()
            };
          }),
          copies: book.copies, opened: opened, alerts: alerts, status: statusLog, calls: log.length,
          writesWhileOn: writesWhileOn,
          restored: { ScreenUpdating: app.ScreenUpdating, EnableEvents: app.EnableEvents, Calculation: app.Calculation }
        };
      }
    };
  }

  install(global.FAKE_STATE);
})(window);

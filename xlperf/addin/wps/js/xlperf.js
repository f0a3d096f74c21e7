// xlperf for WPS 表格: the 绩效目标 tab (ribbon.xml, generated from xlperf/addin/ribbon.toml).
//
// Every button reads the active sheet (the used range's values and formulas in one call each, merge
// areas, number formats, fills, notes), sends the snapshot to the local xlperf service (xlperf serve,
// 127.0.0.1 only, with the user's token), and applies the edit plan the service answers: the same
// edits the file and Excel adapters apply (xlperf.io.snapshot, xlperf.excel.LiveWriter), in batches:
// values and formulas as blocks, fills by multi-area ranges, notes, row inserts with their merges,
// sheets. A copy of the workbook is saved first. Messages are Chinese; no stack trace is ever shown.
//
// The object model used here is the part of WPS's ET API (window.Application) that
// tests/wps/fake_et.js mirrors.
/* global XLPERF_CONTROLS, XLPERF_CONFIG */
(function (global) {
  "use strict";

  var XL = {
    none: -4142, visible: -1, hidden: 0, shiftDown: -4121, fromLeftOrAbove: 0, fromRightOrBelow: 1,
    pasteFormats: -4122, manual: -4135
  };
  var MAX_ADDRESS = 254; // multi-area addresses of 255 characters or more are refused
  var MAX_CELLS = 5000000;
  var MAX_PROBE = 60000; // merge areas are asked cell by cell up to this many cells
  var BOOK_SHEET = "_xlperf_marks";
  var REPORT_SHEETS = ["校验结果", "校验结果（xlperf）"];
  var LINES = 12;

  // -- addresses ------------------------------------------------------------------------------------

  function colLetter(c) {
    var s = "";
    c += 1;
    while (c > 0) {
      var m = (c - 1) % 26;
      s = String.fromCharCode(65 + m) + s;
      c = Math.floor((c - 1) / 26);
    }
    return s;
  }

  function a1(r, c) { return colLetter(c) + (r + 1); }

  function parseA1(ref) {
    var m = /^\$?([A-Za-z]{1,3})\$?(\d+)$/.exec(ref.trim());
    if (!m) throw new Error("not a cell reference: " + ref);
    var c = 0;
    var letters = m[1].toUpperCase();
    for (var i = 0; i < letters.length; i++) c = c * 26 + (letters.charCodeAt(i) - 64);
    return [parseInt(m[2], 10) - 1, c - 1];
  }

  function parseRange(ref) {
    var parts = ref.split(":");
    var a = parseA1(parts[0]);
    var b = parts.length > 1 ? parseA1(parts[1]) : a;
    return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
  }

  function rangeRef(r0, c0, r1, c1) {
    return (r0 === r1 && c0 === c1) ? a1(r0, c0) : a1(r0, c0) + ":" + a1(r1, c1);
  }

  function chunkAddresses(cells) {
    var out = [];
    var cur = "";
    cells.forEach(function (a) {
      if (cur && cur.length + 1 + a.length > MAX_ADDRESS) {
        out.push(cur);
        cur = a;
      } else {
        cur = cur ? cur + "," + a : a;
      }
    });
    if (cur) out.push(cur);
    return out;
  }

  function hexOf(color) { // BGR long -> "RRGGBB"
    var r = color & 0xff, g = (color >> 8) & 0xff, b = (color >> 16) & 0xff;
    return [r, g, b].map(function (x) { return (x < 16 ? "0" : "") + x.toString(16).toUpperCase(); }).join("");
  }

  function bgrOf(hex) { // "RRGGBB" -> BGR long
    var n = parseInt(hex, 16);
    return ((n & 0xff) << 16) | (n & 0xff00) | ((n >> 16) & 0xff);
  }

  /** A failure the user can act on: shown as it is. @param {string} message */
  function userError(message) {
    var e = /** @type {Error & {userMessage: string}} */ (new Error(message));
    e.userMessage = message;
    return e;
  }

  function rows2d(v) {
    if (Array.isArray(v)) return (v.length && Array.isArray(v[0])) ? v : [v];
    return [[v]];
  }

  function empty(v) { return v === null || v === undefined || v === ""; }

  /** @param {Et.Comment} comment */
  function textOf(comment) { return typeof comment.Text === "function" ? comment.Text() : comment.Text; }

  /** @param {Et.Workbook} book @param {string} name @returns {Et.Worksheet | null} */
  function sheetByName(book, name) {
    var ws = book.Worksheets;
    for (var i = 1; i <= ws.Count; i++) {
      var s = /** @type {Et.Worksheet} */ (ws.Item(i));
      if (s.Name === name) return s;
    }
    return null;
  }

  // -- reading ----------------------------------------------------------------------------------------

  /** @param {Et.Interior} interior */
  function fillOf(interior) { // the fill descriptor of xlperf.core.marks: "" or "RRGGBB"
    if (interior.ColorIndex === XL.none || interior.Pattern === XL.none) return "";
    return hexOf(interior.Color);
  }

  /** @param {WPSMergedRoot} application @param {boolean} withSelection */
  function readSnapshot(application, withSelection) {
    var book = application.ActiveWorkbook;
    if (!book) throw userError("没有打开的工作簿");
    var sheet = application.ActiveSheet;
    var snap = {
      sheet: sheet.Name, cells: {}, formulas: {}, merges: [], formats: {}, fills: {}, notes: {},
      sheets: [], tables: {}, others: {}, book: String(book.Name || "WPS 工作簿"), path: book.FullName || null
    };
    var ur = sheet.UsedRange;
    var top = ur.Row - 1, left = ur.Column - 1;
    var nrows = ur.Rows.Count, ncols = ur.Columns.Count;
    if (nrows * ncols > MAX_CELLS) {
      throw userError("工作表「" + sheet.Name + "」的已用区域过大（" + nrows + " 行 × " + ncols +
        " 列），请删除表格下方和右侧多余的行列（含只有格式的空行）后再试");
    }
    var values = rows2d(ur.Value2), formulas = rows2d(ur.Formula);
    var numeric = [];
    var filled = {};
    for (var i = 0; i < values.length; i++) {
      var frow = formulas[i] || [];
      for (var j = 0; j < values[i].length; j++) {
        var v = values[i][j], f = frow[j];
        var ref = a1(top + i, left + j);
        var isFormula = typeof f === "string" && f.charAt(0) === "=" && f !== v;
        if (isFormula) { snap.formulas[ref] = f; filled[ref] = true; }
        if (empty(v)) continue;
        snap.cells[ref] = v;
        filled[ref] = true;
        if (typeof v === "number" && !isFormula) numeric.push([top + i, left + j]);
      }
    }
    // number formats: once for the range when uniform, else once per column, else per cell
    if (numeric.length) {
      var fmt = ur.NumberFormat;
      if (typeof fmt === "string") {
        if (fmt !== "General") numeric.forEach(function (k) { snap.formats[a1(k[0], k[1])] = fmt; });
      } else {
        var byCol = {};
        numeric.forEach(function (k) { (byCol[k[1]] = byCol[k[1]] || []).push(k[0]); });
        Object.keys(byCol).forEach(function (key) {
          var c = parseInt(key, 10), rows = byCol[key];
          var lo = Math.min.apply(null, rows), hi = Math.max.apply(null, rows);
          var colFmt = sheet.Range(rangeRef(lo, c, hi, c)).NumberFormat;
          rows.forEach(function (r) {
            var cellFmt = typeof colFmt === "string" ? colFmt : sheet.Range(a1(r, c)).NumberFormat;
            if (typeof cellFmt === "string" && cellFmt !== "General") snap.formats[a1(r, c)] = cellFmt;
          });
        });
      }
    }
    // merged blocks: every cell not yet known to be covered is asked for its merge area
    if (ur.MergeCells !== false) {
      var covered = {};
      var many = nrows * ncols > MAX_PROBE;
      for (var r = top; r < top + nrows; r++) {
        for (var c = left; c < left + ncols; c++) {
          var key = a1(r, c);
          if (covered[key]) continue;
          if (many && !filled[key] && !filled[a1(r, c - 1)]) continue;
          var area = sheet.Range(key).MergeArea;
          var h = area.Rows.Count, w = area.Columns.Count;
          if (h === 1 && w === 1) continue;
          var r0 = area.Row - 1, c0 = area.Column - 1;
          snap.merges.push(rangeRef(r0, c0, r0 + h - 1, c0 + w - 1));
          for (var rr = r0; rr < r0 + h; rr++) for (var cc = c0; cc < c0 + w; cc++) covered[a1(rr, cc)] = true;
        }
      }
    }
    // fills: rows without any fill are skipped in one call each
    for (var fr = top; fr < top + nrows; fr++) {
      if (sheet.Range(rangeRef(fr, left, fr, left + ncols - 1)).Interior.ColorIndex === XL.none) continue;
      for (var fc = left; fc < left + ncols; fc++) {
        var spec = fillOf(sheet.Range(a1(fr, fc)).Interior);
        if (spec) snap.fills[a1(fr, fc)] = spec;
      }
    }
    var comments = sheet.Comments;
    for (var n = 1; n <= comments.Count; n++) {
      var cm = comments.Item(n);
      snap.notes[a1(cm.Parent.Row - 1, cm.Parent.Column - 1)] = textOf(cm);
    }
    var ws = book.Worksheets;
    for (var s = 1; s <= ws.Count; s++) {
      var item = /** @type {Et.Worksheet} */ (ws.Item(s));
      snap.sheets.push({ name: item.Name, hidden: item.Visible !== XL.visible, active: item.Name === sheet.Name });
    }
    REPORT_SHEETS.forEach(function (name) { // their header tells xlperf's own report from a sheet the user named so
      var report = sheetByName(book, name);
      if (report) {
        snap.tables[name] = [rows2d(report.UsedRange.Value2)[0].map(function (x) { return x === undefined ? null : x; })];
      }
    });
    var marks = sheetByName(book, BOOK_SHEET);
    if (marks) {
      var rows = rows2d(marks.UsedRange.Value2).map(function (row) {
        return row.map(function (x) { return x === undefined ? null : x; });
      });
      snap.tables[BOOK_SHEET] = rows;
      rows.slice(1).forEach(function (row) { // marked cells on other sheets: their fill and note now
        var other = typeof row[0] === "string" ? sheetByName(book, row[0]) : null;
        if (!other || row[0] === sheet.Name || typeof row[1] !== "string") return;
        var o = snap.others[row[0]] = snap.others[row[0]] || { fills: {}, notes: {} };
        var cell = other.Range(row[1]);
        var st = fillOf(cell.Interior);
        if (st) o.fills[row[1]] = st;
        if (cell.Comment) o.notes[row[1]] = textOf(cell.Comment);
      });
    }
    if (withSelection && application.ActiveCell) {
      snap.selection = a1(application.ActiveCell.Row - 1, application.ActiveCell.Column - 1);
    }
    return snap;
  }

  // -- writing: the edit plan -------------------------------------------------------------------------

  /**
   * Applies an edit plan (xlperf.io.snapshot.plan_json) as xlperf.excel.LiveWriter applies one with xlwings.
   * @constructor @param {WPSMergedRoot} application @param {Et.Workbook} book @param {Et.Worksheet} sheet
   * @param {string[]} merges
   */
  function Writer(application, book, sheet, merges) {
    this.app = application;
    this.book = book;
    this.sheet = sheet;
    this.name = sheet.Name;
    this.merges = merges.map(parseRange);
    this.values = {};
    this.fills = {};
    this.notes = {};
  }

  /** @param {string} name @returns {Et.Worksheet} */
  Writer.prototype.handle = function (name) {
    var sh = sheetByName(this.book, name);
    if (!sh) {
      var ws = this.book.Worksheets;
      sh = /** @type {Et.Worksheet} */ (ws.Add(null, ws.Item(ws.Count)));
      sh.Name = name;
    }
    return sh;
  };

  Writer.prototype.anchor = function (name, r, c) {
    if (name === this.name) {
      for (var i = 0; i < this.merges.length; i++) {
        var m = this.merges[i];
        if (m[0] <= r && r <= m[2] && m[1] <= c && c <= m[3]) return [m[0], m[1]];
      }
    }
    return [r, c];
  };

  Writer.prototype.isMergedAnchor = function (name, r, c) {
    return name === this.name && this.merges.some(function (m) {
      return m[0] === r && m[1] === c && (m[2] > m[0] || m[3] > m[1]);
    });
  };

  Writer.prototype.apply = function (edits) {
    var self = this;
    edits.forEach(function (e) {
      if (e.op === "SetValue" || e.op === "SetFormula") {
        var rc = parseA1(e.cell);
        var at = self.anchor(e.sheet, rc[0], rc[1]);
        var key = JSON.stringify([e.sheet, at[0], at[1]]);
        delete self.values[key];
        self.values[key] = e.op === "SetFormula" ? { input: e.formula, fmt: null } : { input: e.input, fmt: e.number_format };
      } else if (e.op === "SetFill") {
        var fk = JSON.stringify([e.sheet].concat(parseA1(e.cell)));
        delete self.fills[fk];
        self.fills[fk] = e.color;
      } else if (e.op === "SetNote") {
        self.notes[JSON.stringify([e.sheet].concat(parseA1(e.cell)))] = e.text;
      } else {
        self.flush();
        if (e.op === "InsertRows") self.insertRows(e);
        else if (e.op === "Merge" || e.op === "Unmerge") self.merge(e);
        else if (e.op === "WriteTable") self.writeTable(e);
        else if (e.op === "DeleteSheet") self.deleteSheet(e.sheet);
        else throw new Error("unknown edit " + e.op);
      }
    });
    this.flush();
  };

  Writer.prototype.flush = function () {
    this.flushValues();
    this.flushFills();
    this.flushNotes();
  };

  function groups(items) { // {json [sheet, r, c]: x} -> {sheet: [[r, c, x], ...]}
    var out = {};
    Object.keys(items).forEach(function (k) {
      var key = JSON.parse(k);
      (out[key[0]] = out[key[0]] || []).push([key[1], key[2], items[k]]);
    });
    return out;
  }

  function blocks(cells) { // [[r, c, v]] -> [[r0, c0, r1, c1, rows]]: runs per row, then equal runs stacked
    cells.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    var runs = [];
    cells.forEach(function (x) {
      var last = runs[runs.length - 1];
      if (last && last[0] === x[0] && last[2] === x[1] - 1) { last[2] = x[1]; last[3].push(x[2]); } else runs.push([x[0], x[1], x[1], [x[2]]]);
    });
    runs.sort(function (a, b) { return a[1] - b[1] || a[2] - b[2] || a[0] - b[0]; });
    var out = [];
    runs.forEach(function (run) {
      var last = out[out.length - 1];
      if (last && last[1] === run[1] && last[3] === run[2] && last[2] === run[0] - 1) { last[2] = run[0]; last[4].push(run[3]); } else out.push([run[0], run[1], run[0], run[2], [run[3]]]);
    });
    return out;
  }

  Writer.prototype.flushValues = function () {
    var self = this;
    var by = groups(this.values);
    this.values = {};
    Object.keys(by).forEach(function (name) {
      var sh = self.handle(name);
      var single = by[name].filter(function (x) { return self.isMergedAnchor(name, x[0], x[1]); });
      var rest = by[name].filter(function (x) { return !self.isMergedAnchor(name, x[0], x[1]); });
      blocks(rest.map(function (x) { return [x[0], x[1], x[2].input]; })).forEach(function (b) {
        var one = b[0] === b[2] && b[1] === b[3];
        sh.Range(rangeRef(b[0], b[1], b[2], b[3])).Value2 = one ? b[4][0][0] : b[4];
      });
      single.forEach(function (x) { sh.Range(a1(x[0], x[1])).Value2 = x[2].input; });
      by[name].forEach(function (x) { if (x[2].fmt) sh.Range(a1(x[0], x[1])).NumberFormat = x[2].fmt; });
    });
  };

  Writer.prototype.flushFills = function () {
    var self = this;
    var by = groups(this.fills);
    this.fills = {};
    Object.keys(by).forEach(function (name) {
      var sh = self.handle(name);
      var colors = {};
      by[name].forEach(function (x) { var k = x[2] || ""; (colors[k] = colors[k] || []).push([x[0], x[1]]); });
      Object.keys(colors).forEach(function (color) {
        var cells = colors[color].sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
        chunkAddresses(cells.map(function (k) { return a1(k[0], k[1]); })).forEach(function (address) {
          var interior = sh.Range(address).Interior;
          if (color) interior.Color = bgrOf(color); else interior.ColorIndex = XL.none;
        });
      });
    });
  };

  Writer.prototype.flushNotes = function () {
    var self = this;
    var by = groups(this.notes);
    this.notes = {};
    Object.keys(by).forEach(function (name) {
      var sh = self.handle(name);
      by[name].sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; }).forEach(function (x) {
        var cell = sh.Range(a1(x[0], x[1]));
        var note = cell.Comment;
        if (x[2]) {
          if (note && textOf(note) === x[2]) return;
          if (note) note.Delete();
          cell.AddComment(x[2]);
        } else if (note) {
          note.Delete();
        }
      });
    });
  };

  Writer.prototype.insertRows = function (e) { // rows are 1-based here
    if (e.count <= 0) return;
    var sh = this.handle(e.sheet);
    var row = e.row, count = e.count, from = e.style_from;
    var origin = (from !== null && from >= row) ? XL.fromRightOrBelow : XL.fromLeftOrAbove;
    sh.Range(row + ":" + (row + count - 1)).Insert(XL.shiftDown, origin); // whole rows
    if (from !== null && from !== row - 1 && from !== row) {
      var src = from + (from >= row ? count : 0);
      sh.Range(src + ":" + src).Copy();
      sh.Range(row + ":" + (row + count - 1)).PasteSpecial(XL.pasteFormats);
      /** @type {any} */ (this.app).CutCopyMode = false;
    }
    if (e.sheet === this.name) {
      var r0 = row - 1;
      this.merges = this.merges.map(function (m) {
        if (m[0] >= r0) return [m[0] + count, m[1], m[2] + count, m[3]];
        if (m[2] >= r0) return [m[0], m[1], m[2] + count, m[3]];
        return m;
      });
    }
  };

  Writer.prototype.merge = function (e) {
    var rng = this.handle(e.sheet).Range(e.range);
    var m = parseRange(e.range);
    if (e.op === "Merge") rng.Merge(); else rng.UnMerge();
    if (e.sheet === this.name) {
      this.merges = this.merges.filter(function (x) { return x.join() !== m.join(); });
      if (e.op === "Merge") this.merges.push(m);
    }
  };

  Writer.prototype.deleteSheet = function (name) {
    var sh = sheetByName(this.book, name);
    if (!sh) return;
    var alerts = this.app.DisplayAlerts;
    this.app.DisplayAlerts = false;
    try { sh.Delete(); } finally { this.app.DisplayAlerts = alerts; }
  };

  Writer.prototype.writeTable = function (e) {
    this.deleteSheet(e.sheet);
    var sh = this.handle(e.sheet);
    var rows = e.input, width = rows[0].length;
    sh.Range(rangeRef(0, 0, rows.length - 1, width - 1)).Value2 = rows;
    var head = sh.Range(rangeRef(0, 0, 0, e.header - 1));
    head.Font.Bold = true;
    head.Font.Color = bgrOf("FFFFFF");
    head.Interior.Color = bgrOf("4472C4");
    e.links.forEach(function (l) { sh.Hyperlinks.Add(sh.Range(l.cell), "", l.target, "", l.text); });
    (e.widths || []).forEach(function (w, c) { sh.Range(a1(0, c)).ColumnWidth = w; }); // the cell's column
    if (e.hidden) sh.Visible = XL.hidden;
  };

  /** @param {WPSMergedRoot} application @param {string} sheetName @param {any[]} edits @param {string[]} merges */
  function applyPlan(application, sheetName, edits, merges) {
    var book = application.ActiveWorkbook;
    var sheet = sheetByName(book, sheetName);
    var before = {
      ScreenUpdating: application.ScreenUpdating, EnableEvents: application.EnableEvents,
      Calculation: application.Calculation
    };
    application.ScreenUpdating = false;
    application.EnableEvents = false;
    application.Calculation = XL.manual;
    try {
      new Writer(application, book, sheet, merges).apply(edits);
      sheet.Activate();
    } finally {
      application.Calculation = before.Calculation;
      application.EnableEvents = before.EnableEvents;
      application.ScreenUpdating = before.ScreenUpdating;
    }
  }

  // -- the service --------------------------------------------------------------------------------------

  /** @returns {{url: string, token: string}} */
  function config() {
    var c = global.XLPERF_CONFIG || (typeof XLPERF_CONFIG !== "undefined" ? XLPERF_CONFIG : { url: "", token: "" });
    return { url: c.url || "http://127.0.0.1:38517", token: c.token || "" };
  }

  async function call(path, body) {
    var c = config();
    var resp, data = null;
    try {
      resp = await global.fetch(c.url + path, {
        method: body === undefined ? "GET" : "POST",
        headers: { "Content-Type": "application/json", "X-Xlperf-Token": c.token },
        body: body === undefined ? undefined : JSON.stringify(body)
      });
    } catch (e) {
      throw userError("无法连接 xlperf 服务（" + c.url + "）。请先运行 xlperf serve，或用 xlperf addin install --wps 设为登录后自动启动。");
    }
    try { data = await resp.json(); } catch (e) { data = null; }
    if (resp.status === 401) throw userError("xlperf 服务拒绝了请求（令牌不符）。请重新运行 xlperf addin install --wps。");
    if (!resp.ok) throw userError((data && data.error) || ("xlperf 服务出错（HTTP " + resp.status + "）"));
    return data;
  }

  /** @param {WPSMergedRoot} application @param {string | false} text */
  function status(application, text) {
    try { application.StatusBar = text === false ? false : "xlperf：" + text; } catch (e) { /* a nicety only */ }
    var line = global.document && global.document.getElementById("xlperf-status");
    if (line) line.textContent = text === false ? "" : text;
  }

  function show(text) {
    var line = global.document && global.document.getElementById("xlperf-message");
    if (line) line.textContent = text;
    global.alert(text);
  }

  function lines(items) {
    var shown = items.slice(0, LINES);
    if (items.length > LINES) shown.push("……另有 " + (items.length - LINES) + " 条");
    return shown.join("\n");
  }

  // apply what the service planned, after saving a copy of the workbook
  /** @param {WPSMergedRoot} application @param {any} snap @param {any} answer */
  function applyAnswer(application, snap, answer) {
    if (!answer.edits || !answer.edits.length) return "";
    status(application, "正在写入…");
    if (answer.backup) {
      try {
        application.ActiveWorkbook.SaveCopyAs(answer.backup);
      } catch (e) {
        throw userError("无法保存修改前的副本（" + answer.backup + "），表格未被修改");
      }
    }
    applyPlan(application, snap.sheet, answer.edits, snap.merges);
    return answer.backup ? "\n\n修改前的副本已保存：" + answer.backup : "";
  }

  /** @param {WPSMergedRoot} application */
  async function validate(application) {
    status(application, "正在读取表格…");
    var snap = readSnapshot(application, false);
    status(application, "正在校验…");
    var answer = await call("/api/validate", snap);
    var saved = applyAnswer(application, snap, answer);
    if (!answer.issues.length) return answer.message + "。" + saved;
    return answer.message + "。\n问题单元格已标色并加批注，全部问题见「校验结果」工作表（可点击跳转）。\n\n" +
      lines(answer.issues.map(function (i) { return (i.cell || "") + " " + i.code + " " + i.message; })) + saved;
  }

  /** @param {WPSMergedRoot} application */
  async function unmark(application) {
    var snap = readSnapshot(application, false);
    var answer = await call("/api/unmark", snap);
    return answer.message + "。" + applyAnswer(application, snap, answer);
  }

  /** @param {WPSMergedRoot} application */
  async function autosum(application) {
    var snap = readSnapshot(application, false);
    var answer = await call("/api/autosum", snap);
    var saved = applyAnswer(application, snap, answer);
    var text = answer.message + (answer.changes.length ? "：\n" + lines(answer.changes) : "。");
    if (answer.messages.length) text += "\n\n" + lines(answer.messages);
    return text + saved;
  }

  /** @param {WPSMergedRoot} application @param {string} tag */
  async function indicators(application, tag) {
    var snap = readSnapshot(application, true);
    snap.options = { type: tag || "" };
    var answer = await call("/api/indicators", snap);
    return answer.message + "。" + applyAnswer(application, snap, answer);
  }

  /** @param {WPSMergedRoot} application */
  async function consolidate(application) {
    var picked = application.GetOpenFilename("绩效目标表 (*.xlsx;*.xlsm;*.xls;*.et),*.xlsx;*.xlsm;*.xls;*.et", 1,
      "选择要合并的部门绩效目标表", null, true);
    if (!picked) return "";
    var paths = Array.isArray(picked) ? picked : [picked];
    status(application, "正在汇总 " + paths.length + " 个文件…");
    var answer = await call("/api/consolidate", { paths: paths });
    application.Workbooks.Open(answer.output);
    var text = answer.message;
    if (answer.skipped.length) text += "\n\n未汇总 " + answer.skipped.length + " 个文件：\n" + lines(answer.skipped);
    return text;
  }

  /** @param {WPSMergedRoot} application */
  async function newForm(application) {
    var answer = await call("/api/new", {});
    application.Workbooks.Add(answer.path);
    return "";
  }

  async function about() {
    var c = config();
    var health = await call("/api/health");
    return "xlperf " + health.version + "\n服务：" + c.url + "（仅本机）\n" +
      "加载项与服务的令牌保存在用户目录的 .xlperf 文件夹中。";
  }

  /** @param {WPSMergedRoot} application */
  async function doctor(application) {
    var book = application.ActiveWorkbook;
    var answer = await call("/api/doctor", { path: book ? (book.FullName || null) : null });
    return answer.message;
  }

  var HANDLERS = {
    validate: validate, unmark: unmark, autosum: autosum, indicators: indicators, consolidate: consolidate,
    "new": newForm, about: about, doctor: doctor
  };

  async function run(title, work) {
    var application = global.Application;
    try {
      status(application, title + "…");
      var message = await work(application);
      if (message) show(message);
      return message;
    } catch (e) {
      var text = (e && e.userMessage) ? title + "未完成：" + e.userMessage
        : title + "时出现内部错误，表格未被修改或只修改了一部分（修改前的副本在 .xlperf/backups 中）。\n技术信息：" +
          String((e && e.message) || e).slice(0, 300);
      show(text);
      return text;
    } finally {
      status(application, false);
    }
  }

  // -- the ribbon's callbacks (ribbon.xml) ----------------------------------------------------------------

  var ribbon = null; // the ribbon (InvalidateControl), kept for later use

  /** @param {object} ribbonUI */
  function OnAddinLoad(ribbonUI) {
    ribbon = ribbonUI;
    return true;
  }

  function OnAction(control) {
    var controls = global.XLPERF_CONTROLS || (typeof XLPERF_CONTROLS !== "undefined" ? XLPERF_CONTROLS : {});
    var entry = controls[control.Id];
    if (!entry || !HANDLERS[entry.action]) {
      show("未知的按钮：" + control.Id);
      return Promise.resolve(null);
    }
    return run(entry.label, function (application) { return HANDLERS[entry.action](application, entry.tag || control.Tag); });
  }

  global.OnAddinLoad = OnAddinLoad;
  global.OnAction = OnAction;
  global.XLPERF = {
    HANDLERS: HANDLERS, readSnapshot: readSnapshot, applyPlan: applyPlan, call: call, run: run,
    ribbon: function () { return ribbon; },
    chunkAddresses: chunkAddresses, a1: a1, parseA1: parseA1
  };
})(window);

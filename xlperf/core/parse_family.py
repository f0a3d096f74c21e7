"""The rest of the form family: the kind of a sheet, its amount unit, and the layouts without tasks.

:func:`~xlperf.core.parse.parse_grid` reads the per-task layout itself and hands over here:

* :func:`finish_tasks` after a per-task parse: the kind (a 项目绩效目标申报表 listing projects is
  ``project_list``), the amount unit (金额单位：元 → amounts in 万元, the unit and its text kept) and the
  summary rows (部门合计, 小计, a department's subtotal line), which are not tasks;
* :func:`parse_other` when there is no per-task table: a sheet in traditional characters is read
  converted; a 部门整体 form with department-level indicators (``dept_overall``: budget block, 年度总体
  目标, optional 年度履职目标 block, one indicator table) or a 项目支出绩效目标表 / 申报表 (``project``,
  ``application``: 项目名称, 主管部门, 实施单位, 项目资金, 长期目标/年度目标, indicator table) is read
  into the same :class:`~xlperf.core.model.Form` (its indicators in ``Form.indicators``); anything else
  is refused by :func:`~xlperf.core.kinds.refusal` with what the sheet is and what to do.

Labels are data (``labels.toml``), kinds are data (``kinds.toml``).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from functools import cache
from typing import Any

from ..errors import NotAFormError
from .formula import cell_number
from .grid import Grid, a1
from .kinds import KindSpec, classify, default_kinds, label_keys, refusal, simplified, title_text
from .labels import default_labels
from .layout import Found, find_header_fields
from .model import Budget, Duty, Form, Indicator, TableLayout, assemble
from .parse import MONEY_FIELDS
from .text import clean, label_key, squash, to_decimal

_MONEY = MONEY_FIELDS
_FOOTER_KEYS = ("填报人", "填表人", "审核人", "单位负责人", "财务负责人", "联系电话", "填报日期", "注:", "注1",
                "备注:", "说明:", "总分")


# -- amount units -----------------------------------------------------------------------------------------


@cache
def _unit_res() -> tuple[re.Pattern[str], re.Pattern[str]]:
    book = default_labels()
    units = "|".join(sorted((re.escape(u) for u in book.units.scale), key=len, reverse=True))
    words = "|".join(re.escape(w) for w in book.units.declarations)
    declared = re.compile(rf"(?:{words})\s*[:：]\s*(?:人民币)?\s*({units})(?![\u4e00-\u9fff])")
    bracket = re.compile(rf"[（(]\s*(?:单位\s*[:：]?\s*)?({units})\s*[)）]")
    return declared, bracket


def find_unit(grid: Grid, before_row: int | None) -> tuple[str, str, str] | None:
    """(unit, text as typed, A1) of the amount unit the sheet declares above row ``before_row``
    (inclusive of the table's header rows): 「金额单位：元」 first, else a bracketed unit in a label
    (「预算金额（万元）」, 「拟投入金额（元）」)."""
    declared, bracket = _unit_res()
    found_bracket: tuple[str, str, str] | None = None
    # every unit ends in 元 (no compatibility character folds into it): only such cells are looked at
    # (the text cells, in row then column order)
    for (r, c), v in grid.text_cells():
        if before_row is not None and r > before_row:
            break
        if "元" not in v or len(v) > 80:
            continue
        text = clean(v)
        m = declared.search(text)
        if m:
            return m.group(1), v.strip(), a1(r, c)
        if found_bracket is None and ("金额" in text or "预算" in text or "资金" in text or "万元" in text):
            m = bracket.search(text)
            if m:
                found_bracket = (m.group(1), v.strip(), a1(r, c))
    return found_bracket


def apply_unit(grid: Grid, form: Form, before_row: int | None) -> None:
    """Read the sheet's amount unit and express every amount of ``form`` in 万元."""
    found = find_unit(grid, before_row)
    if found is None:
        return
    unit, text, cell = found
    book = default_labels()
    scale = book.unit_scale(unit)
    b = form.budget
    b.unit, b.unit_text = unit, text
    b.cells["unit"] = cell
    if scale is None or scale == 1:
        return
    for f in _MONEY:
        v = getattr(b, f)
        if v is not None:
            setattr(b, f, v * scale)
    for t in form.tasks:
        if t.amount is not None:
            t.amount = t.amount * scale
    for d in form.duties:
        if d.amount is not None:
            d.amount = d.amount * scale


# -- after a per-task parse ---------------------------------------------------------------------------


def name_is_header_field(grid: Grid, layout: TableLayout) -> bool:
    """The "task" column the per-task reader found is a header field (「项目名称 | 测试项目」 above a
    project form's indicator table): the only table label on its row, with a value to its right."""
    from .layout import TABLE_LABELS, is_label

    c = layout.columns.get("name")
    if c is None:
        return False
    rows = [r for r in range(layout.header_row, layout.first_data_row)
            if label_key(grid.values.get((r, c))) in TABLE_LABELS["name"]]
    if not rows:
        return False
    r = rows[0]
    right = grid.values.get((r, c + 1))
    if not (isinstance(right, str) and right.strip()) or is_label(right):
        return False
    width = max(layout.columns.values(), default=0) + _BESIDE
    return not any(is_label(grid.values.get((r, cc))) for cc in range(width) if cc != c)


def _row_text(grid: Grid, r: int) -> str | None:
    for c in range(grid.ncols):
        v = grid.values.get((r, c))
        if isinstance(v, str) and v.strip():
            return v
    return None


def _is_summary_row(grid: Grid, r: int) -> bool:
    book = default_labels()
    text = _row_text(grid, r)
    if text is None:
        return False
    key = label_key(text)
    return book.is_summary(key) or any(key.endswith(s) for s in book.summary_rows.nameless)


def finish_tasks(grid: Grid, form: Form) -> None:
    """The kind, the amount unit and the summary rows of a per-task form (see the module doc)."""
    layout = form.layout
    assert layout is not None
    form.tasks = [t for t in form.tasks
                  if t.name is not None or t.indicators or t.row is None or not _is_summary_row(grid, t.row)]
    spec = default_kinds().get("project_list")
    name_col = layout.columns.get("name")
    if name_col is not None and form.title and any(w in squash(form.title) for w in spec.title_words):
        labels = {label_key(grid.values.get((r, name_col)))
                  for r in range(layout.header_row, layout.first_data_row)}
        if any(n in labels for n in spec.needs):
            form.kind = spec.id
    apply_unit(grid, form, layout.first_data_row - 1)
    _task_extras(grid, form, layout)


_BESIDE = 8  # how many columns right of a table's last known column its further columns may sit


@cache
def _extra_fields() -> dict[str, str]:
    """label key -> extra field (the first field listing it)."""
    labels = default_labels().indicator_table
    out: dict[str, str] = {}
    for f in _EXTRA:
        for k in labels.get(f, ()):
            out.setdefault(k, f)
    return out


def _task_extras(grid: Grid, form: Form, layout: TableLayout) -> None:
    """The further columns of a per-task table (权重, 指标方向性, 指标解释, 评分标准 …) into each indicator's
    ``extra``, by its row."""
    fields = _extra_fields()
    taken = set(layout.columns.values())
    cols: dict[str, int] = {}
    # the text cells of the header rows, beside the table's columns (in row then column order)
    width = max(layout.columns.values(), default=0) + _BESIDE
    texts = grid.text_cells()
    for i in range(bisect_left(texts, ((layout.header_row, -math.inf),)), len(texts)):
        (r, c), v = texts[i]
        if r >= layout.first_data_row:
            break
        if c >= width or c in taken:
            continue
        f = fields.get(label_key(v))
        if f is not None and f not in cols:
            cols[f] = c
    if not cols:
        return
    for t in form.tasks:
        for ind in t.indicators:
            if ind.row is None:
                continue
            found = {f: _text(grid.values.get((ind.row, c))) for f, c in cols.items()}
            ind.extra = {f: v for f, v in found.items() if v is not None}


# -- the layouts without tasks ------------------------------------------------------------------------


def parse_other(grid: Grid, exc: NotAFormError, parse_tasks: Any) -> Form:
    """A sheet without a per-task table (``exc`` says why the per-task reader refused it)."""
    script = None
    conv = simplified(grid)
    if conv is not None:
        script = "traditional"
        try:
            form = parse_tasks(conv)
        except NotAFormError as again:
            grid, exc = conv, again
        else:
            form.script = script
            return form
    spec = classify(grid, title=title_text(grid))
    if spec is None:
        missing = getattr(exc, "missing", None)
        if missing and "name" not in missing:  # a per-task table lacking columns: it is a form
            tasks = default_kinds().get("dept_tasks")
            why = exc.message.split("：", 1)[-1]
            raise refusal(tasks, why)
        if missing:
            raise refusal(None, "未找到表头（部门名称、项目名称）和任务栏（年度工作任务），只有指标表")
        raise refusal(None, exc.message.split("：", 1)[-1])
    if spec.reader in ("", "tasks"):
        raise refusal(spec, exc.message.split("：", 1)[-1])
    if spec.id == "dept_overall" and find_indicator_table(grid) is None:
        from .layout import TABLE_LABELS

        keys = label_keys(grid)
        if any(k in keys for k in TABLE_LABELS["name"] if k != "项目名称"):  # a per-task form lacking its header
            raise refusal(default_kinds().get("dept_tasks"), exc.message.split("：", 1)[-1])
    form = parse_untasked(grid, spec)
    form.script = script
    return form


def _label_test(keys: frozenset[str]) -> Any:
    def test(v: object) -> bool:
        return isinstance(v, str) and label_key(v) in keys

    return test


def find_indicator_table(grid: Grid) -> TableLayout | None:
    """The header of an indicator table without tasks: the first row holding 一级指标, the labels on it
    and the row above (as :func:`~xlperf.core.layout.find_table`, with the indicator-table labels)."""
    anchors = [(r, c) for (r, c), v in grid.values.items()
               if isinstance(v, str) and "级" in v and label_key(v) == "一级指标"]
    if not anchors:
        return None
    ar = min(anchors)[0]
    labels = default_labels().indicator_table
    cells = [(r, c, label_key(v)) for (r, c), v in grid.values.items()
             if r in (ar - 1, ar) and isinstance(v, str)]
    columns: dict[str, int] = {}
    used: set[int] = set()
    rows = [ar]
    for field, keys in labels.items():
        hits = sorted((keys.index(k), -r, c) for r, c, k in cells if k in keys and c not in used)
        if hits:
            _, nr, col = hits[0]
            columns[field] = col
            used.add(col)
            rows.append(-nr)
    # both a 三级指标 and a 指标名称 column: the name is the indicator, 三级指标 an extra column (level3)
    named = [c for _r, c, k in cells if k == "指标名称"]
    third = [c for _r, c, k in cells if k == "三级指标"]
    if named and third and named[0] != third[0]:
        columns["indicator"], columns["level3"] = named[0], third[0]
    return TableLayout(header_row=min(rows), first_data_row=ar + 1, columns=columns)


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v.strip() or None
    return clean(v) or None


# text fields whose value may stand under the label (申报表: 长期目标 | 年度目标 side by side)
_BELOW_TEXT = ("long_goal", "annual_goal")
_EXTRA = ("level3", "value_type", "explanation", "scoring", "weight", "direction", "note")


def _parse_indicators(grid: Grid, layout: TableLayout, stop_row: int | None = None) -> list[Indicator]:
    from .parse import RowReader

    cols = layout.columns
    base = {f: c for f, c in cols.items() if f in ("level1", "level2", "indicator", "op", "value", "unit")}
    names = list(base)
    reader = RowReader(grid, base, names)
    extra = {f: c for f, c in cols.items() if f in _EXTRA}
    book = default_labels()
    inds: list[Indicator] = []
    prev: dict[str, Any] | None = None
    merged = {(r, m.c0) for m in grid.merges for r in range(m.r0 + 1, m.r1 + 1) if m.r1 - m.r0 < 10_000}
    end = grid.nrows if stop_row is None else stop_row
    for r in range(layout.first_data_row, end):
        row = {f: grid.values.get((r, c)) for f, c in base.items()}
        ext = {f: _text(grid.values.get((r, c))) for f, c in extra.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row.values()) and not any(ext.values()):
            continue
        first = label_key(_row_text(grid, r))
        if first.startswith(_FOOTER_KEYS) or book.is_summary(first) or first.startswith(("……", "...")):
            if book.is_summary(first) or first.startswith(_FOOTER_KEYS):
                break
            continue
        if label_key(row.get("level1")) == "一级指标":
            continue  # a repeated header row
        if all(row.get(f) in (None, "") for f in ("indicator", "value", "op", "unit")) and not any(
                ext.get(f) for f in ("value_type", "explanation")) and not row.get("level2"):
            continue
        d = reader.read(r, [*row.values(), None])
        vt = ext.get("value_type")
        if vt:
            ext["value_type"] = vt
            if d["op"] is None and squash(vt) == "定性":
                d["op"] = "定性"
        d["extra"] = {k: v for k, v in ext.items() if v is not None}
        for f in ("level1", "level2"):
            c = cols.get(f)
            if d[f] is None and prev is not None and c is not None and (not grid.merges or (r, c) in merged):
                d[f] = prev[f]
                d["inherited"].append(f)
        inds.append(assemble(Indicator, d))
        prev = d
    return inds


def _header(grid: Grid, labels: dict[str, tuple[str, ...]], limit: int, keys: frozenset[str]) -> dict[str, Found]:
    found = find_header_fields(grid, limit, labels, _label_test(keys))
    for f in found.values():  # a value under its label (labels in a row, amounts or goals in the row below)
        if f.field not in _MONEY and f.field not in _BELOW_TEXT:
            continue
        v = None if f.value_row is None or f.value_col is None else grid.get(f.value_row, f.value_col)
        if v is None or (isinstance(v, str) and label_key(v) in keys):
            r, c = f.label_row + 1, f.label_col
            below = grid.get(r, c)
            if f.field in _MONEY:
                if (r, c) in grid.formulas or to_decimal(below) is not None:
                    f.value_row, f.value_col = r, c
            elif isinstance(below, str) and below.strip() and label_key(below) not in keys:
                f.value_row, f.value_col = r, c
    return found


def _duties(grid: Grid, limit: int) -> tuple[list[Duty], int | None]:
    """The 年度履职目标 block above row ``limit``: its rows, and the row of its header."""
    labels = default_labels().dept_form.duties
    head: int | None = None
    cols: dict[str, int] = {}
    for r in range(limit):
        found: dict[str, int] = {}
        for c in range(grid.ncols):
            k = label_key(grid.values.get((r, c)))
            for field, keys in labels.items():
                if k in keys and field not in found:
                    found[field] = c
                    break
        if len(found) >= 3 and "task" in found:
            head, cols = r, found
            break
    if head is None:
        return [], None
    out: list[Duty] = []
    prev_function: str | None = None
    book = default_labels()
    for r in range(head + 1, limit):
        vals = {f: grid.values.get((r, c)) for f, c in cols.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in vals.values()):
            continue
        first = label_key(_row_text(grid, r))
        if book.is_summary(first) or book.is_summary(label_key(vals.get("function"))):
            continue
        if any(isinstance(v, str) and label_key(v) in book.all_keys() for v in vals.values()):
            break
        function = _text(vals.get("function")) or prev_function
        prev_function = function
        amount = None
        if "amount" in cols:
            c = cols["amount"]
            if (r, c) in grid.formulas or to_decimal(vals.get("amount")) is not None:
                amount = cell_number(grid, r, c)
        out.append(Duty(sheet=grid.sheet, row=r, cells={f: a1(r, c) for f, c in cols.items()},
                        function=function, task=_text(vals.get("task")), project=_text(vals.get("project")),
                        amount=amount, raw=vals))
    return out, head


def parse_untasked(grid: Grid, spec: KindSpec) -> Form:
    """A department-level or project form: header fields, budget, goals, (duties,) indicator table."""
    layout = find_indicator_table(grid)
    if layout is None:
        raise refusal(spec, "未找到绩效指标表头（一级指标）")
    missing = [name for field, name in (("level1", "一级指标"), ("indicator", "三级指标（指标名称）"),
                                        ("value", "指标值"))
               if field not in layout.columns]
    if missing:
        raise refusal(spec, "绩效指标表头缺少 " + "、".join(missing))
    book = default_labels()
    keys = book.all_keys()
    form = Form(sheet=grid.sheet, source=grid.source, layout=layout, kind=spec.id)
    limit = layout.header_row
    duties, duty_row = ([], None)
    if spec.reader == "dept":
        labels = book.dept_form.header
        duties, duty_row = _duties(grid, limit)
    else:
        labels = book.project_form.header
    found = _header(grid, labels, duty_row if duty_row is not None else limit, keys)
    from .parse import read_amount, read_title, year_from_text

    read_title(grid, form, limit)
    year_from_text(grid, form)
    budget = Budget(sheet=grid.sheet)
    for field, f in found.items():
        if f.value_row is None or f.value_col is None:
            continue
        raw = grid.get(f.value_row, f.value_col)
        if isinstance(raw, str) and label_key(raw) in keys:
            raw = None
        if field in _MONEY:
            read_amount(grid, budget, field, f, raw)
            continue
        ref = a1(f.value_row, f.value_col)
        form.cells[field] = ref
        form.raw[field] = raw
        setattr(form, field, _text(raw))
    form.budget = budget
    form.duties = duties
    form.indicators = _parse_indicators(grid, layout)
    apply_unit(grid, form, limit)
    return form

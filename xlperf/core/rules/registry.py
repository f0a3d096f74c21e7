"""The rule registry: ``@rule(code, severity, fixable=...)`` on one small function per rule.

A rule is a generator ``def f(ctx: Context) -> Iterator[Finding]``. Its docstring is its
documentation: the first line is the title (``xlperf rules``), the rest is rendered into
``docs/rules.md`` by ``scripts/gen_rules_doc.py``. The code never changes meaning; a rule without a
docstring, with a malformed code, or with a code already taken is refused at import time.

Batch-level rules (``@batch_rule``, codes ``XCnnn``) are about a whole consolidation rather than one
form (the same department twice, a sheet that could not be parsed, ...). Their function builds the
message of one issue from what the consolidation knows (its signature is the rule's own); the caller
takes the code and the default severity from the registry (:func:`rule_of`). They are documented and
listed like the form rules (``all_rules(batch=True)``) but :func:`run_rules` never runs them.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from ..edits import SetValue
from ..framework import Framework, default_framework, load_framework
from ..grid import a1, parse_a1
from ..issues import Issue, Severity, code_selected, make_issue
from ..text import squash

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Config
    from ..model import Form, Indicator, Task

_CODE_RE = re.compile(r"^XP\d{3}$")
_BATCH_CODE_RE = re.compile(r"^XC\d{3}$")
# modules defining the batch-level rules, imported on first use
_BATCH_MODULES = ("xlperf.core.rules.consolidation",)


@dataclass(frozen=True)
class Finding:
    """What a rule yields: the message and where; the runner adds code and severity."""

    message: str
    cell: str | None = None
    task: int | str | None = None
    indicator: str | None = None
    fix: tuple[SetValue, ...] = ()
    sheet: str | None = None


@functools.cache
def _doc(func: Callable[..., Any]) -> str:
    """A rule's docstring, cleaned once (the title is asked for every issue a rule raises)."""
    return inspect.getdoc(func) or ""


@functools.cache
def _title(func: Callable[..., Any]) -> str:
    """The first line of a rule's docstring."""
    return _doc(func).splitlines()[0].strip()


@dataclass(frozen=True)
class Rule:
    """A registered rule: per form (``func(ctx) -> Iterable[Finding]``) or, with ``batch``, per
    consolidation (``func(...) -> str``, the message of one issue)."""

    code: str
    severity: Severity
    fixable: bool
    func: Callable[..., Any] = field(compare=False)
    family: str = ""
    batch: bool = False
    kinds: frozenset[str] | None = field(default=None, compare=False)  # None: every kind of form

    def applies_to(self, kind: str) -> bool:
        """The rule reads forms of ``kind`` (xlperf/data/kinds.toml)."""
        return self.kinds is None or kind in self.kinds

    @property
    def title(self) -> str:
        return _title(self.func)

    @property
    def doc(self) -> str:
        """The docstring after the title line, dedented."""
        lines = _doc(self.func).splitlines()[1:]
        return "\n".join(lines).strip()

    @property
    def name(self) -> str:
        return self.func.__name__


_REGISTRY: dict[str, Rule] = {}  # per-form rules (what run_rules runs)
_BATCH: dict[str, Rule] = {}  # batch-level rules
_BY_FUNC: dict[Callable[..., Any], Rule] = {}
FAMILIES = ("budget", "framework", "completeness", "values", "consolidation")
FAMILY_TITLES = {
    "budget": "XP1xx 预算金额",
    "framework": "XP2xx 指标体系与表头",
    "completeness": "XP3xx 任务完整性",
    "values": "XP4xx 指标值与对比符号",
    "consolidation": "XC0xx 汇总（合并部门表）",
}


def _register(code: str, func: Callable[..., Any], rule_: Rule, into: dict[str, Rule]) -> None:
    taken = _REGISTRY.get(code) or _BATCH.get(code)
    if taken is not None:
        raise ValueError(f"rule code {code} registered twice ({taken.name}, {func.__name__})")
    doc = inspect.getdoc(func)
    if not doc or not doc.strip():
        raise ValueError(f"rule {code} ({func.__name__}) has no docstring: the docstring is its documentation")
    into[code] = rule_
    _BY_FUNC[func] = rule_


def rule(code: str, severity: Severity, *, fixable: bool = False,
         kinds: Iterable[str] | None = None) -> Callable[[Callable], Callable]:
    """Register ``func`` as rule ``code`` with default ``severity``; ``kinds``: the kinds of form it reads
    (ids of ``xlperf/data/kinds.toml``; default every kind)."""

    def deco(func: Callable) -> Callable:
        if not _CODE_RE.match(code):
            raise ValueError(f"rule code must look like XP123: {code!r}")
        family = func.__module__.rsplit(".", 1)[-1]
        only = None if kinds is None else frozenset(kinds)
        if only is not None:
            from ..kinds import default_kinds

            known = {k.id for k in default_kinds().kind}
            if not only or not only <= known:
                raise ValueError(f"rule {code}: unknown kinds {sorted(only - known)} (known: {sorted(known)})")
        _register(code, func, Rule(code, Severity(severity), fixable, func, family, kinds=only), _REGISTRY)
        return func

    return deco


def batch_rule(code: str, severity: Severity, *, family: str = "consolidation") -> Callable[[Callable], Callable]:
    """Register ``func`` as batch-level rule ``code`` (``XC123``) with default ``severity``.

    ``func`` returns the message of one issue; :func:`run_rules` never calls it (it is not about a
    single form). The caller takes code and default severity from :func:`rule_of`.
    """

    def deco(func: Callable) -> Callable:
        if not _BATCH_CODE_RE.match(code):
            raise ValueError(f"batch rule code must look like XC123: {code!r}")
        if family not in FAMILY_TITLES:
            raise ValueError(f"batch rule {code}: unknown family {family!r}")
        _register(code, func, Rule(code, Severity(severity), False, func, family, batch=True), _BATCH)
        return func

    return deco


def all_rules(*, batch: bool = False) -> list[Rule]:
    """Every registered per-form rule, sorted by code (importing the family modules on first use);
    with ``batch``, the batch-level rules (:func:`batch_rules`) follow."""
    from . import budget, completeness, framework, values  # noqa: F401

    rules = [_REGISTRY[c] for c in sorted(_REGISTRY)]
    return rules + batch_rules() if batch else rules


def batch_rules() -> list[Rule]:
    """Every registered batch-level rule (``XCnnn``), sorted by code."""
    import importlib

    for name in _BATCH_MODULES:
        importlib.import_module(name)
    return [_BATCH[c] for c in sorted(_BATCH)]


def get_rule(code: str) -> Rule:
    """The rule (per-form or batch-level) registered as ``code``."""
    code = code.upper()
    if code in _REGISTRY or code in _BATCH:
        return _REGISTRY.get(code) or _BATCH[code]
    all_rules(batch=True)
    try:
        return _REGISTRY.get(code) or _BATCH[code]
    except KeyError:
        raise KeyError(f"unknown rule code: {code}") from None


def rule_of(func: Callable[..., Any]) -> Rule:
    """The rule ``func`` is registered as (``KeyError`` when it is not a rule)."""
    try:
        return _BY_FUNC[func]
    except KeyError:
        raise KeyError(f"not a registered rule: {getattr(func, '__name__', func)!r}") from None


def run_rules(
    form: Form,
    config: Config | None = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> list[Issue]:
    """Run the selected rules over ``form``; issues carry the configured severity.

    ``select``/``ignore`` (codes or prefixes) override ``config.select`` and add to ``config.ignore``.
    """
    from ..config import Config

    config = config or Config()
    sel = list(select) if select is not None else (list(config.select) if config.select is not None else None)
    ign = list(config.ignore) + list(ignore or ())
    ctx = Context(form, config)
    issues: list[Issue] = []
    append = issues.append
    overrides = config.severity
    default_sheet = form.sheet or None
    for r, code, func, severity, fixable in _runnable(None if sel is None else tuple(sel), tuple(ign),
                                                      len(_REGISTRY), form.kind):
        sev = overrides.get(code, severity) if overrides else severity
        title = None
        for f in func(ctx):
            if title is None:
                title = r.title  # worked out once per rule that finds something
            append(make_issue(code, sev, f.message, f.sheet or default_sheet, f.cell, f.task, f.indicator,
                              f.fix if fixable else (), title))
    return issues


@lru_cache(maxsize=64)
def _selected(sel: tuple[str, ...] | None, ign: tuple[str, ...], _registered: int) -> tuple[Rule, ...]:
    """The rules ``select``/``ignore`` leave, by code (``_registered``: a rule registered later is seen)."""
    return tuple(r for r in all_rules() if code_selected(r.code, sel, ign))


@lru_cache(maxsize=256)
def _runnable(sel: tuple[str, ...] | None, ign: tuple[str, ...], registered: int,
              kind: str) -> tuple[tuple[Rule, str, Callable[..., Any], Severity, bool], ...]:
    """(rule, code, function, default severity, fixable) of the selected rules reading forms of ``kind``,
    in code order: worked out once per selection and kind, not per form."""
    return tuple((r, r.code, r.func, r.severity, r.fixable) for r in _selected(sel, ign, registered)
                 if r.applies_to(kind))


# -- the context rules read -------------------------------------------------------------------------


# what the framework makes of an indicator's level texts: (canonical 一级, canonical 二级 under it,
# the pre-2021 产出指标/成本指标 placement, a cost indicator, squash(一级 text), squash(二级 text))
Levels = tuple[str | None, str | None, bool, bool, str, str]


@dataclass(slots=True)
class _Index:
    """The per-form index of :class:`Context` (see its properties)."""

    rows: list[tuple[Task, Indicator]] = field(default_factory=list)
    filled: list[tuple[Task, Indicator]] = field(default_factory=list)
    keyed: list[tuple[Task, Indicator, str, str, str | None]] = field(default_factory=list)
    leveled: list[tuple[Task, Indicator, str | None]] = field(default_factory=list)
    classified: list[tuple[Task, Indicator, Levels, str]] = field(default_factory=list)
    counts: dict[int, dict[str | None, int]] = field(default_factory=dict)
    quantity: set[int] = field(default_factory=set)
    task_keyed: dict[int, list[tuple[Task, Indicator, str, str, str | None]]] = field(default_factory=dict)
    keyed_l1: dict[str | None, list[tuple[Task, Indicator, str, str, str | None]]] = field(default_factory=dict)
    keyed_cost: list[tuple[Task, Indicator, str, str, str | None]] = field(default_factory=list)
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)


# (framework, its classified (一级, 二级) texts): the forms of a batch type the same few dozen pairs
_CLASSES: list[tuple[Framework | None, dict[tuple[Any, Any], Levels]]] = [(None, {})]
_CLASSES_MAX = 4096  # pairs kept (a hostile batch of all-different level texts starts over)


def _classes_of(fw: Framework) -> dict[tuple[Any, Any], Levels]:
    """The memo of :meth:`Context._classify` shared by the forms read with ``fw`` (by identity: another
    framework, or the same one loaded again, starts a new memo)."""
    held, classes = _CLASSES[0]
    if held is not fw or len(classes) > _CLASSES_MAX:
        classes = {}
        _CLASSES[0] = (fw, classes)
    return classes


class Context:
    """The form plus the helpers every rule needs: canonical levels, source cells, money rounding."""

    def __init__(self, form: Form, config: Config) -> None:
        self.form = form
        self.config = config
        self._levels: dict[int, Levels] = {}  # per indicator, by id
        self._distinct: dict[tuple[str, bool], set[Any] | None] = {}  # see distinct()

    @cached_property
    def fw(self) -> Framework:
        return load_framework(self.config.framework) if self.config.framework else default_framework()

    @property
    def columns(self) -> dict[str, int]:
        return self.form.layout.columns if self.form.layout else {}

    # -- the per-form index: built once, on first use, shared by every rule --
    @cached_property
    def _index(self) -> _Index:
        """Every list below, built in one pass over the form (with the level memos filled)."""
        memo, classify = self._levels, self._classify
        idx = _Index()
        rows, filled, keyed, leveled, all_counts = idx.rows, idx.filled, idx.keyed, idx.leveled, idx.counts
        keyed_l1, keyed_cost = idx.keyed_l1, idx.keyed_cost
        tasks = self.form.tasks
        # a form without tasks (department-level, project): its indicators under one nameless task
        groups = [*tasks, self.holder] if self.form.indicators else tasks
        classes = _classes_of(self.fw)
        classified = idx.classified
        for n, t in enumerate(groups):
            counts: dict[str | None, int] = {}
            start = len(classified)
            task_keyed: list[tuple[Task, Indicator, str, str, str | None]] = []
            for ind in t.indicators:
                k = id(ind)
                d = ind.__dict__
                pair_key = (d["level1"], d["level2"])
                levels = classes.get(pair_key)
                if levels is None:  # the form's few level texts: each pair classified once
                    levels = classes[pair_key] = classify(*pair_key)
                memo[k] = levels
                l1, l2, _legacy, cost, _key1, _key2 = levels
                if l2 == "数量指标" and l1 == "产出指标":
                    idx.quantity.add(id(t))
                kind = "成本指标" if cost else l1
                counts[kind] = counts.get(kind, 0) + 1
                pair = (t, ind)
                rows.append(pair)
                leveled.append((t, ind, l1))
                name = squash(d["name"])
                classified.append((t, ind, levels, name))
                raw = d["raw"]
                if not (_blank(raw.get("name")) and _blank(raw.get("op")) and _blank(raw.get("value"))):  # _filled
                    filled.append(pair)
                    key = (t, ind, name, squash(d["unit"]), l1)
                    keyed.append(key)
                    task_keyed.append(key)
                    by_l1 = keyed_l1.get(l1)
                    if by_l1 is None:
                        by_l1 = keyed_l1[l1] = []
                    by_l1.append(key)
                    if cost:
                        keyed_cost.append(key)
            if n < len(tasks):  # per task: the holder is no task to count indicators of
                all_counts[id(t)] = counts
                idx.task_keyed[id(t)] = task_keyed
                idx.spans[id(t)] = (start, len(classified))
        return idx

    @cached_property
    def holder(self) -> Task:
        """The form's own indicators (department-level, project forms) as one nameless task (no 序号:
        findings name no task)."""
        from ..model import Task

        return Task(sheet=self.form.sheet, row=None, indicators=self.form.indicators)

    @property
    def rows(self) -> list[tuple[Task, Indicator]]:
        """Every (task, indicator) of the form, in table order; the indicators of a form without tasks
        (department-level, project) under :attr:`holder`."""
        return self._index.rows

    @property
    def filled_rows(self) -> list[tuple[Task, Indicator]]:
        """The rows that say something beyond their level names (an indicator name, a symbol or a
        value); rows holding only level names are left to XP206."""
        return self._index.filled

    def keyed_of(self, task: Task) -> list[tuple[Task, Indicator, str, str, str | None]]:
        """The :attr:`keyed_rows` of ``task`` (one of the form's tasks), in table order."""
        return self._index.task_keyed[id(task)]

    @property
    def keyed_rows(self) -> list[tuple[Task, Indicator, str, str, str | None]]:
        """The filled rows with what the rules compare them by: (task, indicator, ``squash(name)``,
        ``squash(unit)``, canonical 一级)."""
        return self._index.keyed

    def keyed_under(self, level1: str) -> list[tuple[Task, Indicator, str, str, str | None]]:
        """The :attr:`keyed_rows` whose canonical 一级 is ``level1``, in table order."""
        return self._index.keyed_l1.get(level1, [])

    def keyed_for_level2(self, level2: str) -> list[tuple[Task, Indicator, str, str, str | None]]:
        """The :attr:`keyed_rows` that can have the canonical 二级 ``level2``: those under the one 一级
        holding it in the framework (every keyed row when several do, none when none does)."""
        owners = self.fw.level1_holding(level2)
        if len(owners) == 1:
            return self.keyed_under(owners[0])
        return self.keyed_rows if owners else []

    @property
    def keyed_cost_rows(self) -> list[tuple[Task, Indicator, str, str, str | None]]:
        """The :attr:`keyed_rows` of cost indicators (:meth:`is_cost`), in table order."""
        return self._index.keyed_cost

    @property
    def classified_rows(self) -> list[tuple[Task, Indicator, Levels, str]]:
        """Every (task, indicator, :data:`Levels`, ``squash(name)``) of the form, in table order."""
        return self._index.classified

    def classified_of(self, task: Task) -> list[tuple[Task, Indicator, Levels, str]]:
        """The :attr:`classified_rows` of ``task`` (one of the form's tasks), in table order."""
        start, end = self._index.spans[id(task)]
        return self._index.classified[start:end]

    @property
    def leveled_rows(self) -> list[tuple[Task, Indicator, str | None]]:
        """Every (task, indicator, canonical 一级) of the form, in table order."""
        return self._index.leveled

    def distinct(self, field: str, *, raw: bool = False) -> set[Any] | None:
        """The distinct values of ``field`` over every row (the indicator's attribute, or with ``raw`` the
        cell as read, ``None`` where there is none): a rule looking for a rare value checks these first
        and walks its rows only when one is there (every row: a superset of the :attr:`filled_rows`).
        None when some value cannot be hashed (the rule then walks its rows). Memoised per form."""
        key = (field, raw)
        memo = self._distinct
        if key in memo:
            return memo[key]
        found: set[Any] | None
        try:
            if raw:
                found = {r.get(field) for r in self._raws}
            else:
                found = set(map(attrgetter(field), self._inds))
        except (TypeError, ValueError):  # an unhashable value (a signalling NaN, a list)
            found = None
        memo[key] = found
        return found

    @cached_property
    def _inds(self) -> list[Indicator]:
        """The indicator of every row (for :meth:`distinct`)."""
        return [ind for _t, ind in self._index.rows]

    @cached_property
    def _raws(self) -> list[dict[str, Any]]:
        """The ``raw`` of :attr:`_inds`."""
        return [ind.raw for ind in self._inds]

    def has_quantity(self, task: Task) -> bool:
        """``task`` has an 产出指标 / 数量指标 (canonical)."""
        return id(task) in self._index.quantity

    def indicators(self) -> Iterator[tuple[Task, Indicator]]:
        return iter(self._index.rows)

    @property
    def level_counts(self) -> dict[int, dict[str | None, int]]:
        """Per task (by ``id``): how many of its indicators fall under each canonical 一级, counting the
        cost indicators (一级 成本指标, or the pre-2021 产出指标/成本指标 placement) as 成本指标 only."""
        return self._index.counts

    # -- levels --
    def _classify(self, level1: str | None, level2: str | None) -> Levels:
        """The :data:`Levels` of typed level texts."""
        fw = self.fw
        l1 = fw.canonical_level1(level1)
        legacy = fw.legacy_target(l1, level2) is not None
        return l1, fw.canonical_level2(l1, level2), legacy, l1 == "成本指标" or legacy, squash(level1), squash(level2)

    def _levels_of(self, ind: Indicator) -> Levels:
        try:
            return self._levels[id(ind)]
        except KeyError:
            found = self._levels[id(ind)] = self._classify(ind.level1, ind.level2)
            return found

    def level1(self, ind: Indicator) -> str | None:
        """Canonical 一级 of ``ind`` (None when unknown); memoised, the rules ask often."""
        return self._levels_of(ind)[0]

    def level2(self, ind: Indicator) -> str | None:
        """Canonical 二级 of ``ind`` under its canonical 一级 (None when not allowed there); memoised."""
        return self._levels_of(ind)[1]

    def is_legacy_cost(self, ind: Indicator) -> bool:
        """The pre-2021 产出指标/成本指标 placement (memoised)."""
        return self._levels_of(ind)[2]

    def is_cost(self, ind: Indicator) -> bool:
        """一级 成本指标, or the pre-2021 产出指标/成本指标 placement (memoised)."""
        return self._levels_of(ind)[3]

    def level_source(self, task: Task, ind: Indicator, field: str) -> Indicator:
        """The indicator whose own cell holds the (possibly inherited) level text of ``ind``: the first
        indicator of the run that shares it (a merged block's top-left cell)."""
        if field not in ind.inherited:
            return ind
        k = _index(task, ind)
        while k > 0 and field in task.indicators[k].inherited:
            k -= 1
        return task.indicators[k]

    def level_once(self, seen: set[str | None], task: Task, ind: Indicator, field: str) -> tuple[str | None, Any] | None:
        """The cell and raw text holding the level ``field`` of ``ind`` (see :meth:`level_source`) the
        first time that cell comes up in ``seen``, else None: a merged level cell is reported once."""
        src = self.level_source(task, ind, field)
        cell = src.cells.get(field)
        if cell in seen:
            return None
        seen.add(cell)
        return cell, src.raw.get(field)

    def level_cell(self, task: Task, ind: Indicator, field: str) -> str | None:
        return self.level_source(task, ind, field).cells.get(field)

    def shares_level(self, task: Task, ind: Indicator, field: str) -> bool:
        """True when the level cell of ``ind`` also serves another indicator (merged or inherited)."""
        if field in ind.inherited:
            return True
        k = _index(task, ind)
        return k + 1 < len(task.indicators) and field in task.indicators[k + 1].inherited

    def table_cell(self, row: int | None, field: str) -> str | None:
        """A1 of the task table's ``field`` column on ``row`` (where an empty value belongs)."""
        if row is None or field not in self.columns:
            return None
        return a1(row, self.columns[field])

    # -- money --
    def money(self, d: Decimal) -> Decimal:
        try:
            return d.quantize(Decimal(1).scaleb(-self.config.money_places), rounding=ROUND_HALF_UP)
        except InvalidOperation:  # beyond 28 digits (an absurd amount, e.g. 1e26 in a hostile file): as is
            return d

    # -- findings --
    def at(self, message: str, cell: str | None, task: Task | None = None, ind: Indicator | None = None,
           fix: tuple[SetValue, ...] = ()) -> Finding:
        finding = _new(Finding)  # Finding(...) as its own __init__ builds it, without a setattr per field
        _set(finding, "__dict__", {"message": message, "cell": cell, "task": None if task is None else task.seq,
                                   "indicator": None if ind is None else ind.name, "fix": fix, "sheet": None})
        return finding


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _filled(ind: Indicator) -> bool:
    """The row says something beyond its level names."""
    raw = ind.raw
    return not (_blank(raw.get("name")) and _blank(raw.get("op")) and _blank(raw.get("value")))


def _index(task: Task, ind: Indicator) -> int:
    return next(k for k, x in enumerate(task.indicators) if x is ind)


def set_value(cell: str | None, value: Any, old: Any) -> tuple[SetValue, ...]:
    """A one-edit fix writing ``value`` into ``cell`` (empty when there is no cell or no change)."""
    if not cell or value == old:
        return ()
    r, c = _cell_position(cell)
    return (SetValue(row=r, col=c, value=value, old=old),)


_cell_position = lru_cache(maxsize=16384)(parse_a1)  # the fixes of a batch name the same few hundred cells
_new = object.__new__
_set = object.__setattr__


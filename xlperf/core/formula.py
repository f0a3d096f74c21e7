"""A tiny evaluator for the form's own formulas: ``SUM(...)``, cell references, ranges, ``+ - * /``.

Files written by openpyxl or XlsxWriter carry no (or a zero) cached result, so the totals must be
recomputed from the cells they reference. Anything outside this small grammar raises
:class:`FormulaError` and the caller falls back to the cached value.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import product
from typing import TYPE_CHECKING

from .text import _float_decimal, to_decimal

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .grid import Grid

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<range>\$?[A-Za-z]{1,3}\$?\d+:\$?[A-Za-z]{1,3}\$?\d+)"
    r"|(?P<ref>\$?[A-Za-z]{1,3}\$?\d+)|(?P<func>[A-Za-z]+)\s*\(|(?P<op>[-+*/(),]))"
)


class FormulaError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise FormulaError(f"unsupported formula: {text}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


_MEMO_CHARS = 200  # formulas up to this long are tokenised once per process (a batch repeats =SUM(E10:E55))


@lru_cache(maxsize=4096)
def _short_tokens(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(_tokens(text))


MAX_DEPTH = 200  # formula cells referring through formula cells
MAX_STEPS = 1_000_000  # cell visits in one evaluation
MAX_TOKENS = 10_000  # tokens in one formula
SMALL_RANGE = 256  # cells of a range looked up one by one rather than through the grid's column index


def evaluate(grid: Grid, row: int, col: int, _stack: frozenset[tuple[int, int]] = frozenset()) -> Decimal:
    """Value of the formula at (row, col), recursing through referenced formula cells.

    Bounded by construction: every formula cell is evaluated once per call (memoised: a chain of
    cells each referring twice to the next is linear, not 2ⁿ), at most :data:`MAX_DEPTH` formula cells
    deep, :data:`MAX_STEPS` cell visits and :data:`MAX_TOKENS` tokens per formula; beyond that
    :class:`FormulaError` (the caller falls back to the cached value)."""
    return _Evaluator(grid).value(row, col, set(_stack))


class _Evaluator:
    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.memo: dict[tuple[int, int], Decimal] = {}
        self.steps = 0
        self._by_col: dict[int, list[int]] | None = None

    def tick(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > MAX_STEPS:
            raise FormulaError("formula too expensive")

    def value(self, row: int, col: int, stack: set[tuple[int, int]]) -> Decimal:
        key = (row, col)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        formula = self.grid.formulas.get(key)
        if formula is None:
            return to_decimal(self.grid.get(row, col)) or Decimal(0)
        if key in stack:
            raise FormulaError("circular reference")
        if len(stack) >= MAX_DEPTH:
            raise FormulaError("formula chain too deep")
        if len(formula) > 8 * MAX_TOKENS:
            raise FormulaError("formula too long")
        stack.add(key)
        try:
            text = formula.lstrip("=")
            v = _Parser(self, _short_tokens(text) if len(text) <= _MEMO_CHARS else _tokens(text), stack).run()
        finally:
            stack.discard(key)
        self.memo[key] = v
        return v

    def cells_in(self, r0: int, c0: int, r1: int, c1: int) -> list[tuple[int, int]]:
        """The filled cells (values or formulas) of a range, in row order: a small range (a form's
        ``SUM(B5:B14)``) cell by cell, a larger one through a per-column index of the grid."""
        area = (r1 - r0 + 1) * (c1 - c0 + 1)
        if area <= SMALL_RANGE:
            self.tick(area)
            values, formulas = self.grid.values, self.grid.formulas
            return [k for k in product(range(r0, r1 + 1), range(c0, c1 + 1)) if k in values or k in formulas]
        if self._by_col is None:
            by_col: dict[int, set[int]] = {}
            for r, c in list(self.grid.values) + list(self.grid.formulas):
                by_col.setdefault(c, set()).add(r)
            self._by_col = {c: sorted(rows) for c, rows in by_col.items()}
            self.tick(len(self.grid.values) + len(self.grid.formulas))
        import bisect

        out = []
        for c in sorted(self._by_col):
            if c0 <= c <= c1:
                rows = self._by_col[c]
                lo, hi = bisect.bisect_left(rows, r0), bisect.bisect_right(rows, r1)
                self.tick(hi - lo + 1)
                out.extend((r, c) for r in rows[lo:hi])
        return sorted(out)


class _Parser:
    """Recursive descent over one formula's tokens."""

    def __init__(self, ev: _Evaluator, toks: Sequence[tuple[str, str]], stack: set[tuple[int, int]]) -> None:
        if len(toks) > MAX_TOKENS:
            raise FormulaError("formula too long")
        self.ev, self.toks, self.stack, self.i = ev, toks, stack, 0

    def run(self) -> Decimal:
        value = self.expr()
        if self.i != len(self.toks):
            raise FormulaError("trailing tokens")
        return value

    def cell(self, ref: str) -> Decimal:
        from .grid import parse_a1

        r, c = parse_a1(ref)
        self.ev.tick()
        return self.ev.value(r, c, self.stack)

    def range_values(self, ref: str) -> list[Decimal]:
        from .grid import parse_a1

        a, b = ref.split(":")
        r0, c0 = parse_a1(a)
        r1, c1 = parse_a1(b)
        r0, r1 = min(r0, r1), max(r0, r1)
        c0, c1 = min(c0, c1), max(c0, c1)
        ev, stack = self.ev, self.stack
        formulas, get, zero = ev.grid.formulas, ev.grid.values.get, Decimal(0)
        out = []
        for key in ev.cells_in(r0, c0, r1, c1):
            ev.steps += 1  # ev.tick(), inline
            if ev.steps > MAX_STEPS:
                raise FormulaError("formula too expensive")
            if key in formulas:
                out.append(ev.value(key[0], key[1], stack))
            else:  # a plain cell: what ev.value gives for it, without the call (an amount: a float)
                v = get(key)
                out.append((_float_decimal(v) if type(v) is float else to_decimal(v)) or zero)
        return out

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise FormulaError("unexpected end")
        self.i += 1
        return self.toks[self.i - 1]

    def expr(self) -> Decimal:
        v = self.term()
        while (t := self.peek()) and t[1] in "+-" and t[0] == "op":
            self.take()
            v = v + self.term() if t[1] == "+" else v - self.term()
        return v

    def term(self) -> Decimal:
        v = self.factor()
        while (t := self.peek()) and t[1] in "*/" and t[0] == "op":
            self.take()
            rhs = self.factor()
            if t[1] == "*":
                v = v * rhs
            else:
                if rhs == 0:
                    raise FormulaError("division by zero")
                v = v / rhs
        return v

    def factor(self) -> Decimal:
        kind, text = self.take()
        if kind == "num":
            try:
                d = Decimal(text)
            except InvalidOperation as exc:  # pragma: no cover
                raise FormulaError(text) from exc
            if len(text) > 30:
                raise FormulaError("number too long")
            return d
        if kind == "ref":
            return self.cell(text)
        if kind == "op" and text == "-":
            return -self.factor()
        if kind == "op" and text == "+":
            return self.factor()
        if kind == "op" and text == "(":
            v = self.expr()
            if self.take()[1] != ")":
                raise FormulaError("missing )")
            return v
        if kind == "func" and text.upper() == "SUM":
            total = Decimal(0)
            while True:
                t = self.peek()
                if t is None:
                    raise FormulaError("missing )")
                if t == ("op", ")"):
                    self.take()
                    return total
                if t[0] == "range":
                    self.take()
                    total += sum(self.range_values(t[1]), Decimal(0))
                else:
                    total += self.expr()
                if self.peek() == ("op", ","):
                    self.take()
        raise FormulaError(f"unsupported token {text!r}")


def cell_number(grid: Grid, row: int, col: int) -> Decimal | None:
    """Numeric value of a cell: formulas evaluated (the cached value is only a fallback)."""
    if (row, col) in grid.formulas:
        try:
            return evaluate(grid, row, col)
        except (FormulaError, RecursionError, ArithmeticError):
            return to_decimal(grid.get(row, col))
    return to_decimal(grid.get(row, col))

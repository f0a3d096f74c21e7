"""A tiny evaluator for the form's own formulas: ``SUM(...)``, cell references, ranges, ``+ - * /``.

Files written by openpyxl or XlsxWriter carry no (or a zero) cached result, so the totals must be
recomputed from the cells they reference. Anything outside this small grammar raises
:class:`FormulaError` and the caller falls back to the cached value.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from .text import to_decimal

if TYPE_CHECKING:
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


def evaluate(grid: Grid, row: int, col: int, _stack: frozenset[tuple[int, int]] = frozenset()) -> Decimal:
    """Value of the formula at (row, col), recursing through referenced formula cells."""
    from .grid import parse_a1

    formula = grid.formulas.get((row, col))
    if formula is None:
        return to_decimal(grid.get(row, col)) or Decimal(0)
    if (row, col) in _stack:
        raise FormulaError("circular reference")
    stack = _stack | {(row, col)}
    toks = _tokens(formula.lstrip("="))
    i = 0

    def cell_value(ref: str) -> Decimal:
        r, c = parse_a1(ref)
        if (r, c) in grid.formulas:
            return evaluate(grid, r, c, stack)
        return to_decimal(grid.get(r, c)) or Decimal(0)

    def range_values(ref: str) -> list[Decimal]:
        a, b = ref.split(":")
        r0, c0 = parse_a1(a)
        r1, c1 = parse_a1(b)
        if (r1 - r0 + 1) * (c1 - c0 + 1) > 1_000_000:
            raise FormulaError("range too large")
        vals = []
        for (r, c) in list(grid.values) + list(grid.formulas):
            if r0 <= r <= r1 and c0 <= c <= c1:
                vals.append((r, c))
        return [cell_value(f"{_col(c)}{r + 1}") for r, c in sorted(set(vals))]

    def peek() -> tuple[str, str] | None:
        return toks[i] if i < len(toks) else None

    def take() -> tuple[str, str]:
        nonlocal i
        if i >= len(toks):
            raise FormulaError("unexpected end")
        i += 1
        return toks[i - 1]

    def expr() -> Decimal:
        v = term()
        while (t := peek()) and t[1] in "+-" and t[0] == "op":
            take()
            v = v + term() if t[1] == "+" else v - term()
        return v

    def term() -> Decimal:
        v = factor()
        while (t := peek()) and t[1] in "*/" and t[0] == "op":
            take()
            rhs = factor()
            if t[1] == "*":
                v = v * rhs
            else:
                if rhs == 0:
                    raise FormulaError("division by zero")
                v = v / rhs
        return v

    def factor() -> Decimal:
        kind, text = take()
        if kind == "num":
            try:
                return Decimal(text)
            except InvalidOperation as exc:  # pragma: no cover
                raise FormulaError(text) from exc
        if kind == "ref":
            return cell_value(text)
        if kind == "op" and text == "-":
            return -factor()
        if kind == "op" and text == "+":
            return factor()
        if kind == "op" and text == "(":
            v = expr()
            if take()[1] != ")":
                raise FormulaError("missing )")
            return v
        if kind == "func" and text.upper() == "SUM":
            total = Decimal(0)
            while True:
                t = peek()
                if t is None:
                    raise FormulaError("missing )")
                if t == ("op", ")"):
                    take()
                    return total
                if t[0] == "range":
                    take()
                    total += sum(range_values(t[1]), Decimal(0))
                else:
                    total += expr()
                if peek() == ("op", ","):
                    take()
        raise FormulaError(f"unsupported token {text!r}")

    value = expr()
    if i != len(toks):
        raise FormulaError("trailing tokens")
    return value


def _col(c: int) -> str:
    from .grid import col_letter

    return col_letter(c)


def cell_number(grid: Grid, row: int, col: int) -> Decimal | None:
    """Numeric value of a cell: formulas evaluated (the cached value is only a fallback)."""
    if (row, col) in grid.formulas:
        try:
            return evaluate(grid, row, col)
        except (FormulaError, RecursionError):
            return to_decimal(grid.get(row, col))
    return to_decimal(grid.get(row, col))

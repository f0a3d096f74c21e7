"""Text helpers shared by the rules and their safe fixes.

``tidy(field, raw)`` is the single definition of "the cell as it should have been typed": stray
whitespace removed, full-width digits / Latin letters / signs folded to half-width (Chinese
punctuation such as （）：，is left alone), and comparison-symbol variants written canonically. Every
fix touching the same cell therefore computes the same value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..text import OPS, format_number, normalize_op, squash

# full-width digits, Latin letters and the signs a value uses -> half-width; ideographic space -> space
_FOLD_CHARS = (
    [chr(c) for c in range(0xFF10, 0xFF1A)]
    + [chr(c) for c in range(0xFF21, 0xFF3B)]
    + [chr(c) for c in range(0xFF41, 0xFF5B)]
    + list("％＋－．／＜＝＞＊")
)
_FOLD = str.maketrans({ch: chr(ord(ch) - 0xFEE0) for ch in _FOLD_CHARS} | {"\u3000": " "})
_WS_RUN = re.compile(r"\s+")
_INLINE_VARIANT = re.compile(r"^(>=|=>|≧|⩾|<=|=<|≦|⩽|==)")
_INLINE_MAP = {">=": "≥", "=>": "≥", "≧": "≥", "⩾": "≥", "<=": "≤", "=<": "≤", "≦": "≤", "⩽": "≤", "==": "="}


def fold(text: str) -> str:
    """Full-width digits, Latin letters and value signs folded to half-width (nothing else)."""
    return text.translate(_FOLD)


def tidy_space(text: str) -> str:
    """Trim, and drop inner whitespace (kept as one space only between two Latin letters)."""
    s = text.strip()

    def repl(m: re.Match[str]) -> str:
        a, b = s[m.start() - 1], s[m.end()]
        return " " if (a.isascii() and a.isalpha() and b.isascii() and b.isalpha()) else ""

    return _WS_RUN.sub(repl, s)


def canonical_inline_op(text: str) -> str:
    """``>=95%`` -> ``≥95%`` (a symbol variant at the start of a value cell written canonically)."""
    m = _INLINE_VARIANT.match(text)
    if not m:
        return text
    return _INLINE_MAP[m.group(1)] + text[m.end():]


def tidy(field: str, raw: Any) -> Any:
    """The tidied content of a text cell of ``field`` (``op``, ``value`` or a name); non-text unchanged."""
    if not isinstance(raw, str):
        return raw
    return _tidy_str(field, str(raw))


@lru_cache(maxsize=16384)
def _tidied(raw: str) -> str:
    """``tidy_space(fold(raw))``, memoised: every text cell of a form goes through it (XP411, XP413)."""
    return tidy_space(fold(raw))


@lru_cache(maxsize=16384)
def _tidy_str(field: str, raw: str) -> str:
    s = _tidied(raw)
    if field == "op":
        n = normalize_op(s)
        if n in OPS:
            s = n
    elif field == "value":
        s = canonical_inline_op(s)
    return s


tidied = _tidied  # the text as it should have been typed (memoised); ``has_stray(raw)`` is ``tidied(raw) != raw``


def has_stray(raw: Any) -> bool:
    """Text with stray whitespace or full-width digits / letters / signs."""
    return isinstance(raw, str) and _tidied(str(raw)) != raw


def op_variant(raw: Any) -> str | None:
    """The canonical symbol when ``raw`` is a known but non-canonical spelling (``>=``, ``大于等于``)."""
    if type(raw) is str:
        return _op_variant(raw)  # (blank text tidies to "", no symbol)
    if not isinstance(raw, str) or not raw.strip():
        return None
    return _op_variant(str(raw))


@lru_cache(maxsize=4096)
def _op_variant(raw: str) -> str | None:
    s = _tidied(raw)
    n = normalize_op(s)
    if n in OPS and s != n:
        return n
    return None


def inline_variant(raw: Any) -> str | None:
    """The canonical symbol when a value cell starts with a symbol variant (``>=95%``)."""
    if type(raw) is str:
        return _inline_variant(raw)
    if not isinstance(raw, str):
        return None
    return _inline_variant(str(raw))


@lru_cache(maxsize=16384)
def _inline_variant(raw: str) -> str | None:
    m = _INLINE_VARIANT.match(_tidied(raw))
    return _INLINE_MAP[m.group(1)] if m else None


def contains_any(words: Iterable[str]) -> Callable[[str], re.Match[str] | None]:
    """A test of a text for any of ``words`` (``any(w in text for w in words)``, as one regular
    expression searched in C): truthy when one of them occurs."""
    words = list(words)
    if not words:
        return _nothing
    return re.compile("|".join(re.escape(w) for w in words)).search


def _nothing(_text: str) -> None:
    """:func:`contains_any` of no words."""
    return None


def show(v: Any) -> str:
    """A value as the message shows it: numbers shortest, text as typed, empty as （空）."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return "（空）"
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        return format_number(v)
    return str(v)


def amount(d: Decimal | None) -> str:
    return "（空）" if d is None else format_number(d)


_VALUE_PLACEHOLDER = re.compile(
    r"(?:XX+|xx+|××+|＊＊+|\*\*+|待定|待补充|待填|待核定|待确定|TBD)"
    r"|^[≥≤><=]*(?:N|n|X|x|×|\*)(?:[\u4e00-\u9fff%‰]|$)"
    r"|^(?:-+|_+|—+|/|\\|…+|\.{2,}|\?+|？+|无|略)$"
)
_NAME_PLACEHOLDER = re.compile(
    r"^(?:[-_*/\\.…—·、,，。?？]+|无|略|待定|待补充|XX+|xx+|××+|指标名称|三级指标|二级指标|一级指标|指标\d*)$"
)


def is_value_placeholder(raw: Any) -> bool:
    if type(raw) is str:
        return _value_placeholder(raw)
    if not isinstance(raw, str):
        return False
    return _value_placeholder(str(raw))


@lru_cache(maxsize=16384)
def _value_placeholder(raw: str) -> bool:
    return bool(_VALUE_PLACEHOLDER.search(squash(raw)))


def is_name_placeholder(text: Any) -> bool:
    if type(text) is str:
        return _name_placeholder(text)
    return bool(_NAME_PLACEHOLDER.match(squash(text)))


@lru_cache(maxsize=16384)
def _name_placeholder(text: str) -> bool:
    return bool(_NAME_PLACEHOLDER.match(squash(text)))

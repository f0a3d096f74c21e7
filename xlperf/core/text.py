"""Text normalisation shared by layout detection, parsing and the rules.

Clerks type full-width characters (``１００％``, ``＞＝``), stray spaces and every spelling of a
comparison symbol; everything that compares text goes through these helpers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

OPS = ("=", "≥", "≤", ">", "<", "定性")
NUMERIC_OPS = ("=", "≥", "≤", ">", "<")

# Variants, after NFKC (which already maps ＞ ＜ ＝ to > < =), with spaces removed.
_OP_VARIANTS: dict[str, str] = {
    "=": "=",
    "==": "=",
    "等于": "=",
    "≥": "≥",
    ">=": "≥",
    "=>": "≥",
    "≧": "≥",
    "⩾": "≥",
    "大于等于": "≥",
    "大于或等于": "≥",
    "不低于": "≥",
    "不少于": "≥",
    "≤": "≤",
    "<=": "≤",
    "=<": "≤",
    "≦": "≤",
    "⩽": "≤",
    "小于等于": "≤",
    "小于或等于": "≤",
    "不高于": "≤",
    "不超过": "≤",
    "不多于": "≤",
    ">": ">",
    "大于": ">",
    "高于": ">",
    "<": "<",
    "小于": "<",
    "低于": "<",
    "定性": "定性",
}

_WS_RE = re.compile(r"\s+")
_BRACKETS_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_INLINE_OP_RE = re.compile(r"^(>=|<=|=>|=<|==|≥|≤|≧|≦|⩾|⩽|>|<|=)")
_NUMBER_RE = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)")


def nfkc(text: str) -> str:
    """Full-width to half-width and compatibility forms folded (``１００％`` -> ``100%``)."""
    return unicodedata.normalize("NFKC", text)


def clean(value: Any) -> str:
    """A cell value as trimmed text with full-width folded; None -> ''."""
    if value is None:
        return ""
    if isinstance(value, float):
        return format_number(value)
    return nfkc(str(value)).strip()


def squash(value: Any) -> str:
    """``clean`` with every whitespace character removed (for comparisons of names and labels)."""
    if type(value) is str:
        return _squash_str(value)
    if value is None:
        return ""
    return _WS_RE.sub("", clean(value))


@lru_cache(maxsize=16384)
def _squash_str(value: str) -> str:
    # the rules compare the same few labels (一级/二级 names, ops, units) thousands of times per batch
    return _WS_RE.sub("", nfkc(value).strip())


def label_key(value: Any) -> str:
    if isinstance(value, str):
        return _label_key_str(value)
    if value is None:
        return ""
    if type(value) is int:  # digits and a sign: nothing to fold, squash or strip (a 序号)
        return str(value)
    return _label_key(value)


@lru_cache(maxsize=8192)
def _label_key_str(value: str) -> str:
    return _label_key(value)


def _label_key(value: Any) -> str:
    """Key for matching a label: no spaces, no bracketed parts, no leading ``*``, no trailing colon.

    ``预算金额（万元）``, ``预算金额(万元)`` and `` 预算金额 `` all give ``预算金额``;
    ``部门(单位)名称`` gives ``部门名称``.
    """
    s = squash(value)
    s = _BRACKETS_RE.sub("", s)
    return s.lstrip("*").rstrip(":").strip()


def format_number(x: float | int | Decimal) -> str:
    """Shortest faithful text of a number: 73.1 -> '73.1', 128.0 -> '128'."""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return str(x)
        if x.is_integer() and abs(x) < 1e15:
            return str(int(x))
        return repr(x)
    if isinstance(x, Decimal):
        s = format(x.normalize(), "f")
        return s
    return str(x)


def to_decimal(value: Any) -> Decimal | None:
    """A number cell or numeric text (``'1,359.10'``, ``'１３５９．１'``) as Decimal; otherwise None.

    Floats go through their shortest repr so 73.1 stays 73.1 and never 73.09999999999999.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value) if -10**16 < value < 10**16 else None
    if isinstance(value, float):
        return _float_decimal(value)
    s = squash(value).replace(",", "")
    if s.endswith("万元"):
        s = s[:-2]
    if not s:
        return None
    if len(s) > 40:  # no amount or count is written with this many characters
        return None
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None
    return d if _plausible(d) else None


@lru_cache(maxsize=8192)
def _float_decimal(value: float) -> Decimal | None:
    """A float as Decimal (see :func:`to_decimal`), memoised: a form reads its amounts twice (the task
    rows and the totals' formulas)."""
    if math.isnan(value) or math.isinf(value):
        return None
    if value.is_integer() and abs(value) < 1e15:
        return Decimal(int(value))
    d = Decimal(repr(value))
    return d if _plausible(d) else None


MAX_MAGNITUDE = 15  # |adjusted exponent|: 10¹⁵ 万元 or people is already absurd


def _plausible(d: Decimal) -> bool:
    """A finite number of sensible size: ``1E+99999999`` or a 5,000-digit figure is not an amount or a
    count but text that happens to parse (and would hang ``int()`` or blow up the summary)."""
    return d.is_finite() and (d.is_zero() or -MAX_MAGNITUDE <= d.adjusted() <= MAX_MAGNITUDE)


def to_int(value: Any) -> int | None:
    d = to_decimal(value)
    if d is None or d != d.to_integral_value():
        return None
    return int(d)


def normalize_op(value: Any) -> str | None:
    """Comparison symbol in canonical form (``= ≥ ≤ > < 定性``), None when empty, or the cleaned text
    unchanged when it is not a known variant (the validator reports it)."""
    if type(value) is str:
        return _normalize_op_str(value)
    return _normalize_op(value)


def _normalize_op(value: Any) -> str | None:
    s = squash(value)
    if not s:
        return None
    return _OP_VARIANTS.get(s, s)


_normalize_op_str = lru_cache(maxsize=4096)(_normalize_op)  # text cells, memoised


def is_known_op(op: str | None) -> bool:
    return op in OPS


def split_value(value: Any) -> tuple[str | None, Decimal | None, str | None, str]:
    """Split a 年度指标值 cell (see :func:`_split_value`); text cells are memoised (a batch of forms
    repeats the same few hundred target values)."""
    t = type(value)
    if t is str:
        return _split_str(value)
    if t is int or t is float:
        return _split_number(value)
    return _split_value(value)


@lru_cache(maxsize=16384)
def _split_str(value: str) -> tuple[str | None, Decimal | None, str | None, str]:
    return _split_value(value)


@lru_cache(maxsize=4096, typed=True)  # typed: 95 and 95.0 are split apart (their text differs)
def _split_number(value: int | float) -> tuple[str | None, Decimal | None, str | None, str]:
    return _split_value(value)


def _split_value(value: Any) -> tuple[str | None, Decimal | None, str | None, str]:
    """Split a 年度指标值 cell into (inline op, number, unit, text).

    ``'≥74人'`` -> ('≥', 74, '人', ...); ``'25万元'`` -> (None, 25, '万元', ...);
    ``'100%'`` -> (None, 100, '%', ...); ``'逐步提高'`` -> (None, None, None, '逐步提高');
    a numeric cell 300.0 -> (None, 300, None, '300').
    """
    if value is None:
        return None, None, None, ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        d = to_decimal(value)
        return None, d, None, format_number(value) if d is not None else clean(value)
    text = clean(value)
    s = _WS_RE.sub("", text)
    op = None
    m = _INLINE_OP_RE.match(s)
    if m:
        op = _OP_VARIANTS.get(m.group(1), m.group(1))
        s = s[m.end():]
    else:
        for word in ("大于等于", "小于等于", "不低于", "不少于", "不高于", "不超过", "不多于", "大于", "小于", "高于", "低于", "等于"):
            if s.startswith(word) and _NUMBER_RE.match(s[len(word):]):
                op = _OP_VARIANTS[word]
                s = s[len(word):]
                break
    n = _NUMBER_RE.match(s)
    if n and is_unit(s[n.end():]):
        num_text = n.group(1).replace(",", "")
        try:
            number = Decimal(num_text) if len(num_text) <= 40 else None
        except InvalidOperation:  # pragma: no cover - regex guarantees a number
            number = None
        if number is not None and not _plausible(number):
            return op, None, None, text  # 5,000 digits are text that looks like a number
        unit = s[n.end():] or None
        return op, number, unit, text
    return op, None, None, text


# what follows a number in a value cell is its unit only when it reads like one: "人次", "元/户",
# "个工作日", "%"; a date or a deadline ("6月底前完成", "12月31日前", "3个工作日内办结") is text
_NOT_UNIT_WORDS = ("前", "内", "底", "后", "完成", "办结", "结束", "截止", "旬", "之", "到位", "实现", "开展")
_DATE_RE = re.compile(
    r"^(?:(?:19|20)\d{2}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月(?:\d{1,2}日)?|(?:19|20)\d{2}[-./]\d{1,2}(?:[-./]\d{1,2})?)"
)


def is_unit(rest: str) -> bool:
    """``rest`` (what follows a leading number) reads as a unit: empty, or short, without digits and
    without the words of a date or a deadline."""
    if not rest:
        return True
    if len(rest) > 8 or any(ch.isdigit() for ch in rest) or rest in ("月", "月份", "号"):
        return False
    return not any(w in rest for w in _NOT_UNIT_WORDS)


def is_date_text(value: Any) -> bool:
    """A date or a deadline written as text: ``2026年6月底前``, ``12月31日前``, ``6月底``, ``2026-06-30``."""
    if not isinstance(value, str):
        return False
    return bool(_DATE_RE.match(_WS_RE.sub("", clean(value))))


def starts_with_number(value: Any) -> bool:
    """Text that begins with a number (``3个工作日内办结``)."""
    return isinstance(value, str) and bool(_NUMBER_RE.match(_WS_RE.sub("", clean(value))))


def has_stray_chars(value: Any) -> bool:
    """True when a text cell has leading/trailing/inner whitespace or full-width characters."""
    if not isinstance(value, str) or not value:
        return False
    if value != value.strip() or re.search(r"\s", value.strip()):
        return True
    return nfkc(value) != value


# comparing two indicator names (XP312, insertion): words of the same aspect are one token
# (准确/合规/规范… = correctness, 及时/按期 = timeliness); words that only say "how many" or "of the work"
# are dropped, so 开展专项工作(检查)次数 and 开展检查次数 compare equal, 及时率 and 达标率 do not
_ASPECTS = ((re.compile(r"(?:执行|准确|合规|规范|达标|合格)+"), "Q"), (re.compile(r"(?:及时|按时|按期|如期)+"), "T"),
            (re.compile(r"完成"), "C"))
_DROP = re.compile(r"[（()）\[\]【】\d]|年|开展|专项|工作|活动|场次|次数|数量|情况|程度|率|数")


def indicator_stem(name: Any) -> str:
    """What an indicator name measures, for spotting near-duplicates (``""`` when nothing is left)."""
    if type(name) is str:
        return _stem_str(name)
    return _stem(name)


@lru_cache(maxsize=16384)
def _stem_str(name: str) -> str:
    return _stem(name)


def _stem(name: Any) -> str:
    s = _DROP.sub("", squash(name))
    for pattern, token in _ASPECTS:
        s = pattern.sub(token, s)
    return s


def text_lines(text: object, width: float) -> int:
    """Lines ``text`` takes wrapped in a column ``width`` characters wide (CJK characters count two)."""
    import math
    import unicodedata

    if text is None or text == "":
        return 1
    usable = max(width - 1.5, 1.0)  # the cell's padding
    lines = 0
    for part in str(text).split("\n"):
        w = sum(2.0 if unicodedata.east_asian_width(ch) in "WF" else 1.1 for ch in part)
        lines += max(1, math.ceil(w / usable))
    return lines

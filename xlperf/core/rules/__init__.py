"""Validation rules: a registry of small functions with stable codes (XP1xx budget, XP2xx framework and
header, XP3xx task completeness, XP4xx values), plus the batch-level XC0xx codes of a consolidation
(registered with ``batch_rule``, never run per form). See :mod:`.registry` and ``docs/rules.md``."""

from __future__ import annotations

from .registry import (
    FAMILIES,
    FAMILY_TITLES,
    Context,
    Finding,
    Rule,
    all_rules,
    batch_rule,
    batch_rules,
    get_rule,
    rule,
    rule_of,
    run_rules,
)

__all__ = ["FAMILIES", "FAMILY_TITLES", "Context", "Finding", "Rule", "all_rules", "batch_rule", "batch_rules",
           "get_rule", "rule", "rule_of", "run_rules"]

"""Task-type detection against real task names (tests/fixtures/task_types.csv).

The set: the seed's ten tasks, the task names of the bundled real forms (examples ex01, ex02, ex06), the two
cases issue 13 names (a dust-suppression service whose content says 采购雾炮车; 委托业务), and common item
names of municipal budgets, each with the type a reviewer would give it. Accuracy must stay ≥ 90%;
``python -m pytest tests/test_detection.py -s`` prints it and the misses.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from xlperf.core.indicators.detect import LOW_CONFIDENCE, detect_text
from xlperf.core.indicators.library import load_library

ROWS = list(csv.DictReader((Path(__file__).parent / "fixtures" / "task_types.csv").open(encoding="utf-8")))


@pytest.fixture(scope="module")
def lib():
    return load_library(user=False)


def test_the_set_is_real_and_large_enough(lib) -> None:
    assert len(ROWS) >= 30
    assert {r["type"] for r in ROWS} <= {s.name for s in lib}
    assert sum(r["source"].startswith(("seed", "example")) for r in ROWS) >= 13


def test_accuracy(lib) -> None:
    misses = []
    for r in ROWS:
        s, conf, _hits, _alts = detect_text(r["name"], r["content"], lib)
        if s is None or s.name != r["type"]:
            misses.append((r["name"], r["type"], s.name if s else None, conf))
    accuracy = 1 - len(misses) / len(ROWS)
    print(f"\ndetection accuracy {accuracy:.1%} ({len(ROWS) - len(misses)}/{len(ROWS)}); misses: {misses}")
    assert accuracy >= 0.9, misses


def test_content_never_outweighs_the_name(lib) -> None:
    s, _c, _h, alts = detect_text("城区扬尘治理服务", "采购雾炮车洒水降尘服务", lib)
    assert s.name == "政府购买服务" and "公务用车购置" in {a for a, _ in alts}
    s, *_ = detect_text("委托业务费", "委托开展工程项目前期业务工作", lib)
    assert s.name == "政府购买服务"
    # a strong content clue for another type loses to a weak clue in the name
    s, *_ = detect_text("普法宣传", "采购车辆、新建场馆、购置设备、召开会议", lib)
    assert s.name == "专项业务"


def test_low_confidence_falls_back_and_says_so(lib) -> None:
    s, conf, hits, alts = detect_text("某某工作", "做好相关保障", lib)
    assert s.name == "专项业务" and s.fallback and hits == []
    s, conf, hits, alts = detect_text("综合事务", "按时发放相关费用", lib)  # only a weak content clue
    assert s is lib.fallback and conf < LOW_CONFIDENCE and hits == [] and alts

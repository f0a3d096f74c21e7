"""Guess a task's type from its name and content with weighted keyword rules from the library.

Each rule of a set scores its full weight when it matches the task's name, half when it matches only
the content. The best set wins; the confidence grows with its score and shrinks when another set
scores close to it. A set the task's *name* matches always ranks above sets only its content matches
(a keyword in the content never outweighs the name: a dust-suppression service whose content says
"采购雾炮车" is not a vehicle purchase). A task nothing matches, or matched only weakly through its content
(confidence below ``LOW_CONFIDENCE``), gets the library's fallback type, flagged ``fallback`` so every way in
says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..model import Form, Task
from ..text import squash
from .library import IndicatorSet, Library

CONTENT_FACTOR = 0.5
FALLBACK_CONFIDENCE = 0.1
LOW_CONFIDENCE = 0.3


@dataclass(frozen=True)
class TypeGuess:
    """The guessed type of one task."""

    seq: int | str | None
    task: str | None
    type: str | None
    confidence: float
    matched: list[str] = field(default_factory=list)
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    fallback: bool = False

    def to_json_dict(self) -> dict:
        return {
            "seq": self.seq,
            "task": self.task,
            "type": self.type,
            "confidence": self.confidence,
            "matched": list(self.matched),
            "alternatives": [{"type": t, "score": s} for t, s in self.alternatives],
            "fallback": self.fallback,
        }


def score_set(s: IndicatorSet, name: str, content: str) -> tuple[float, list[str]]:
    """Score of set ``s`` for a task (texts already squashed) and the clues that matched."""
    score, _in_name, hits = _score(s, name, content)
    return score, hits


def _score(s: IndicatorSet, name: str, content: str) -> tuple[float, float, list[str]]:
    score = in_name = 0.0
    hits: list[str] = []
    for rule in s.keywords:
        hit = rule.find(name)
        if hit is not None:
            score += rule.weight
            in_name += rule.weight
            hits.append(hit)
            continue
        hit = rule.find(content)
        if hit is not None:
            score += rule.weight * CONTENT_FACTOR
            hits.append(f"{hit}（内容）")
    return score, in_name, hits


def confidence(best: float, second: float) -> float:
    if best <= 0:
        return 0.0
    return round((1 - math.exp(-best / 1.5)) * best / (best + second), 2)


def detect_text(name: str | None, content: str | None, library: Library) -> tuple[IndicatorSet | None, float, list[str], list[tuple[str, float]]]:
    n, c = squash(name), squash(content)
    scored = []
    for s in library:
        sc, in_name, hits = _score(s, n, c)
        if sc > 0:
            scored.append((in_name > 0, sc, s, hits))
    scored.sort(key=lambda x: (not x[0], -x[1]))
    if not scored:
        return library.fallback, (FALLBACK_CONFIDENCE if library.fallback else 0.0), [], []
    named, best, s, hits = scored[0]
    second = scored[1][1] if len(scored) > 1 else 0.0
    if named:  # sets only the content matches do not compete with the name
        second = max((sc for nm, sc, _, _ in scored[1:] if nm), default=0.0)
    conf = confidence(best, second)
    alts = [(o.name, round(sc, 2)) for _, sc, o, _ in scored[1:4]]
    if not named and conf < LOW_CONFIDENCE and library.fallback is not None and s is not library.fallback:
        # a weak guess from the content alone: the fallback type, the guess kept as an alternative
        return library.fallback, FALLBACK_CONFIDENCE, [], [(s.name, round(best, 2)), *alts][:3]
    return s, conf, hits, alts


def detect_task(task: Task, library: Library) -> TypeGuess:
    s, conf, hits, alts = detect_text(task.name, task.content, library)
    return TypeGuess(
        seq=task.seq, task=task.name, type=s.name if s else None, confidence=conf, matched=hits,
        alternatives=alts, fallback=bool(s is not None and not hits),
    )


def detect_form(form: Form, library: Library) -> list[TypeGuess]:
    return [detect_task(t, library) for t in form.tasks]

"""The review vocabulary of the judgement rules (``xlperf/data/vocabulary.toml``), validated on load.

Words and patterns the XP3xx/XP4xx hints look for (万能指标, compliance rates, inputs, reverse indicators
…) are domain data: they live in the TOML file, each list documented with the rule that reads it.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, field_validator

Words = tuple[str, ...]


def valid_regex(v: str) -> str:
    """A data file's regular expression, refused with a Chinese message when it does not compile."""
    try:
        re.compile(v)
    except re.error as exc:
        raise ValueError(f"正则表达式无效：{v}（{exc}）") from exc
    return v


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    saving_words: Words = Field(min_length=1)
    boilerplate: str
    compliance_words: Words = Field(min_length=1)
    ratio_words: Words = Field(min_length=1)
    rate_stems: Words = Field(min_length=1)
    count_units: Words = Field(min_length=1)
    benefit_count_units: Words = Field(min_length=1)
    measure_ends: Words = Field(min_length=1)
    input_words: Words = Field(min_length=1)
    vague: str
    reverse_words: Words = Field(min_length=1)
    duration_words: Words = Field(min_length=1)
    timely_words: Words = Field(min_length=1)
    reason_starts: Words = Field(min_length=1)
    rhetoric_words: Words = Field(min_length=1)
    org_suffixes: Words = Field(min_length=1)
    subsidy_words: Words = Field(min_length=1)
    trivial_count_units: Words = Field(min_length=1)

    @field_validator("boilerplate", "vague")
    @classmethod
    def _regex(cls, v: str) -> str:
        return valid_regex(v)

    @field_validator("*", mode="after")
    @classmethod
    def _no_blank(cls, v: object) -> object:
        if isinstance(v, tuple) and any(not w.strip() for w in v):
            raise ValueError("词表中有空词")
        return v


@cache
def default_vocabulary() -> Vocabulary:
    data = resources.files("xlperf").joinpath("data/vocabulary.toml").read_bytes()
    return Vocabulary.model_validate(tomllib.loads(data.decode("utf-8")))

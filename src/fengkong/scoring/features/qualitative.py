"""Analysts' questionnaire answers: the latest answer to each question assessed by ``as_of``.

Two answers to one question on the same day keep the worse one: a concern raised is not
cancelled by a second, kinder entry the same day.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fengkong.scoring.features.windows import day_number, days
from fengkong.scoring.ledgers import QUALITATIVE_QUESTIONS

NAMES = QUALITATIVE_QUESTIONS


def qualitative_features(qualitative: pl.DataFrame, as_of: date) -> pl.LazyFrame:
    return (
        qualitative.lazy()
        .filter(days("assessed_on") <= day_number(as_of))
        .sort("customer_id", "assessed_on", "answer")
        .group_by("customer_id")
        .agg(
            pl.col("answer").filter(pl.col("question") == question).last().alias(question)
            for question in QUALITATIVE_QUESTIONS
        )
    )

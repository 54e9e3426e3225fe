"""On demo data the scores spread over all five grades and rank the hidden profiles: the
deteriorating and defaulting customers score worse than the rest (AUC against the profile)."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.db import Database
from fengkong.demo import service as demo_service
from fengkong.demo.models import DemoProfile
from fengkong.risk import service
from fengkong.risk.models import CustomerRating, ScoreTrigger

AS_OF = date(2026, 6, 30)
CUSTOMERS = 2_000
SEED = 20261126
BAD_PROFILES = frozenset({"slowly_deteriorating", "sudden_default"})
MIN_AUC = 0.75


def average_ranks(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Ranks 1..n, ties sharing the mean of their ranks (as the Mann–Whitney statistic needs)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    mean_rank = (starts + ends + 1) / 2.0  # ranks start+1 … end, averaged
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def auc(risk: npt.NDArray[np.float64], bad: npt.NDArray[np.bool_]) -> float:
    """Probability that a bad customer has the higher ``risk`` than a good one (ties count half)."""
    ranks = average_ranks(risk)
    positives, negatives = int(bad.sum()), int((~bad).sum())
    return float((ranks[bad].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def test_average_ranks_share_ties_and_auc_counts_them_half() -> None:
    assert average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]
    assert auc(np.array([1.0, 2.0, 3.0, 4.0]), np.array([False, False, True, True])) == 1.0
    assert auc(np.array([1.0, 1.0]), np.array([False, True])) == 0.5


def test_demo_scores_spread_over_all_grades_and_rank_the_hidden_profiles(
    database: Database, session: Session
) -> None:
    if database.backend != "sqlite":
        # The ranking does not depend on the backend (the loader is checked on both by the
        # other risk tests); loading 2,000 demo customers into PostgreSQL costs minutes here.
        pytest.skip("run on SQLite only")
    actor = Actor.system("test")
    demo_service.load_demo(session, actor, customers=CUSTOMERS, seed=SEED, as_of=AS_OF)

    summary = service.score_customers(session, actor, as_of=AS_OF, trigger=ScoreTrigger.DEMO)

    assert summary.scored == CUSTOMERS
    assert set(summary.grades) == set("ABCDE"), summary.grades
    rows = session.execute(
        select(CustomerRating.score, DemoProfile.profile).join(
            DemoProfile, DemoProfile.customer_id == CustomerRating.customer_id
        )
    ).all()
    scores = np.array([score for score, _ in rows])
    bad = np.array([profile in BAD_PROFILES for _, profile in rows])
    measured = auc(-scores, bad)
    assert measured >= MIN_AUC, f"AUC {measured:.3f}, grades {summary.grades}"

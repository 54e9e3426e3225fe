"""Champion versus shadow challenger on the same customers: how far they agree, and, where later
outcomes are known, which of them ranked the defaulters better.

- Rank agreement: Spearman's correlation of the two scores (average ranks for ties).
- Grades: each model's distribution over A–E, the cross-table (champion grade × challenger
  grade) and the shares the challenger would upgrade (a better grade) or downgrade.
- Discrimination: the AUC of each model's score against the outcome (1 = defaulted later),
  with the score's sign turned so that a riskier customer ranks higher; only when both
  defaulters and non-defaulters are among the customers.

Pure NumPy over arrays aligned customer by customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fengkong.scoring.grading import GRADE_CODES, grade_rank

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class GradeComparison:
    """Customer counts: per grade for each model, and ``cross[i][j]`` champion grade ``i``
    with challenger grade ``j`` (both in A–E order)."""

    champion: dict[str, int]
    challenger: dict[str, int]
    cross: list[list[int]]
    upgraded: float
    downgraded: float


@dataclass(frozen=True, slots=True)
class Comparison:
    n: int
    spearman: float | None
    mean_pd_champion: float | None
    mean_pd_challenger: float | None
    grades: GradeComparison
    n_bad: int | None
    """Customers that defaulted after the as-of date; ``None`` when no outcomes were given."""
    auc_champion: float | None
    auc_challenger: float | None


def average_ranks(values: npt.ArrayLike) -> FloatArray:
    """Ranks 1..n, tied values sharing the mean of their ranks."""
    x = np.asarray(values, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    _, first, counts = np.unique(x[order], return_index=True, return_counts=True)
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.repeat(first + (counts + 1) / 2.0, counts)
    return ranks


def spearman(a: npt.ArrayLike, b: npt.ArrayLike) -> float | None:
    """Spearman's rank correlation; ``None`` when either side has fewer than two distinct
    values (the correlation is undefined)."""
    ranks_a, ranks_b = average_ranks(a), average_ranks(b)
    if len(ranks_a) < 2 or ranks_a.std() == 0 or ranks_b.std() == 0:
        return None
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


def auc(risk: npt.ArrayLike, bad: npt.ArrayLike) -> float | None:
    """The probability that a random defaulter has a higher ``risk`` than a random
    non-defaulter (ties count half); ``None`` without both."""
    labels = np.asarray(bad, dtype=bool)
    n_bad = int(labels.sum())
    n_good = len(labels) - n_bad
    if n_bad == 0 or n_good == 0:
        return None
    ranks = average_ranks(risk)
    return float((ranks[labels].sum() - n_bad * (n_bad + 1) / 2) / (n_bad * n_good))


def compare_grades(champion: Sequence[str], challenger: Sequence[str]) -> GradeComparison:
    cross = [[0] * len(GRADE_CODES) for _ in GRADE_CODES]
    upgraded = downgraded = 0
    for mine, theirs in zip(champion, challenger, strict=True):
        i, j = grade_rank(mine), grade_rank(theirs)
        cross[i][j] += 1
        upgraded += j < i
        downgraded += j > i
    n = len(champion)
    return GradeComparison(
        champion={code: sum(cross[i]) for i, code in enumerate(GRADE_CODES)},
        challenger={code: sum(row[j] for row in cross) for j, code in enumerate(GRADE_CODES)},
        cross=cross,
        upgraded=upgraded / n if n else 0.0,
        downgraded=downgraded / n if n else 0.0,
    )


def compare(
    *,
    champion_score: npt.ArrayLike,
    champion_pd: npt.ArrayLike,
    champion_grade: Sequence[str],
    challenger_score: npt.ArrayLike,
    challenger_pd: npt.ArrayLike,
    challenger_grade: Sequence[str],
    bad: npt.ArrayLike | None = None,
) -> Comparison:
    """Compare two models' verdicts on the same customers (row ``i`` is one customer on every
    argument); ``bad`` marks the customers that defaulted afterwards, when known."""
    scores_a = np.asarray(champion_score, dtype=np.float64)
    scores_b = np.asarray(challenger_score, dtype=np.float64)
    pds_a = np.asarray(champion_pd, dtype=np.float64)
    pds_b = np.asarray(challenger_pd, dtype=np.float64)
    n = len(scores_a)
    labels = None if bad is None else np.asarray(bad, dtype=bool)
    return Comparison(
        n=n,
        spearman=spearman(scores_a, scores_b),
        mean_pd_champion=float(pds_a.mean()) if n else None,
        mean_pd_challenger=float(pds_b.mean()) if n else None,
        grades=compare_grades(champion_grade, challenger_grade),
        n_bad=None if labels is None else int(labels.sum()),
        # Higher scores are safer: the negated score ranks the riskier customer higher.
        auc_champion=None if labels is None else auc(-scores_a, labels),
        auc_challenger=None if labels is None else auc(-scores_b, labels),
    )

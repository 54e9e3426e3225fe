"""Champion versus challenger on a hand-built case whose numbers are worked out by hand."""

from __future__ import annotations

import pytest

from fengkong.scoring.shadow import auc, average_ranks, compare, spearman


def test_tied_values_share_the_mean_of_their_ranks() -> None:
    assert average_ranks([30, 10, 20, 10]).tolist() == [4.0, 1.5, 3.0, 1.5]


def test_four_customers_compare_as_worked_out_by_hand() -> None:
    result = compare(
        champion_score=[700, 600, 500, 400],
        champion_pd=[0.005, 0.015, 0.1, 0.25],
        champion_grade=["A", "B", "D", "E"],
        challenger_score=[650, 660, 450, 300],
        challenger_pd=[0.01, 0.004, 0.12, 0.3],
        challenger_grade=["B", "A", "D", "E"],
        bad=[False, True, False, False],
    )

    assert result.n == 4
    # Ranks 4,3,2,1 against 3,4,2,1: 1 - 6·(1 + 1) / (4 · 15).
    assert result.spearman == pytest.approx(0.8)
    assert result.mean_pd_champion == pytest.approx(0.0925)
    assert result.mean_pd_challenger == pytest.approx(0.1085)
    assert result.grades.champion == {"A": 1, "B": 1, "C": 0, "D": 1, "E": 1}
    assert result.grades.challenger == {"A": 1, "B": 1, "C": 0, "D": 1, "E": 1}
    assert result.grades.cross == [
        [0, 1, 0, 0, 0],
        [1, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
        [0, 0, 0, 1, 0],
        [0, 0, 0, 0, 1],
    ]
    assert (result.grades.upgraded, result.grades.downgraded) == (0.25, 0.25)
    # The defaulter scored 600 by the champion: riskier than one of the three others (700);
    # 660 by the challenger: riskier than none of them.
    assert result.n_bad == 1
    assert result.auc_champion == pytest.approx(1 / 3)
    assert result.auc_challenger == 0.0


def test_without_outcomes_or_without_both_kinds_there_is_no_auc() -> None:
    assert auc([0.1, 0.2], [False, False]) is None
    result = compare(
        champion_score=[1.0, 2.0],
        champion_pd=[0.1, 0.2],
        champion_grade=["C", "D"],
        challenger_score=[1.0, 2.0],
        challenger_pd=[0.1, 0.2],
        challenger_grade=["C", "D"],
    )
    assert (result.n_bad, result.auc_champion, result.auc_challenger) == (None, None, None)
    assert spearman([1.0, 1.0], [1.0, 2.0]) is None


def test_no_common_customers_gives_an_empty_comparison() -> None:
    result = compare(
        champion_score=[],
        champion_pd=[],
        champion_grade=[],
        challenger_score=[],
        challenger_pd=[],
        challenger_grade=[],
        bad=[],
    )
    assert (result.n, result.spearman, result.mean_pd_champion) == (0, None, None)
    assert result.grades.upgraded == 0.0

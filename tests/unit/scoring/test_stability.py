"""The stored score distribution and the drift measured against it: deciles, a JSON round trip
that refuses what the drift job could not use, and a PSI equal to the lab's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from fengkong.scoring.stability import (
    DistributionError,
    ScoreDistribution,
    measure_drift,
    numeric_counts,
    psi_from_counts,
    quantile_edges,
)


def test_a_distribution_holds_the_deciles_of_its_sample_and_round_trips_as_json() -> None:
    values = np.random.default_rng(1).normal(size=5000)
    distribution = ScoreDistribution.of(values, variable="pd", source="training")
    assert len(distribution.edges) == 9
    assert len(distribution.shares) == 11  # ten deciles and the missing bin
    assert distribution.shares[:10] == pytest.approx([0.1] * 10, abs=1e-3)
    assert distribution.shares[10] == 0
    assert distribution.n == 5000
    assert ScoreDistribution.from_dict(distribution.to_dict()) == distribution


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"variable": "grade"}, "variable"),
        ({"edges": [0.2, 0.1]}, "rise"),
        ({"edges": [0.1, "x"]}, "numbers"),
        ({"shares": [0.5, 0.5]}, "shares"),
        ({"shares": [1.2, -0.2, 0.0]}, "non-negative"),
        ({"n": 0}, "positive"),
    ],
)
def test_an_unusable_stored_distribution_is_refused_naming_the_part(
    change: dict[str, Any], message: str
) -> None:
    document = {
        "variable": "pd",
        "edges": [0.1],
        "shares": [0.5, 0.5, 0.0],
        "n": 10,
        "source": "training",
    }
    with pytest.raises(DistributionError, match=message):
        ScoreDistribution.from_dict({**document, **change})
    with pytest.raises(DistributionError):
        ScoreDistribution.from_dict([1, 2])


def test_drift_is_the_psi_over_the_reference_bins_with_each_bins_part() -> None:
    rng = np.random.default_rng(2)
    development = rng.normal(size=4000)
    reference = ScoreDistribution.of(development, variable="score", source="live")
    same = measure_drift(reference, development)
    assert same.psi == pytest.approx(0.0, abs=1e-12)
    live = np.append(rng.normal(loc=0.8, size=1999), np.nan)
    shifted = measure_drift(reference, live)
    edges = quantile_edges(development)
    by_hand = psi_from_counts(numeric_counts(development, edges), numeric_counts(live, edges))
    assert shifted.psi == pytest.approx(by_hand)
    assert shifted.psi > 0.25
    assert sum(b["psi"] for b in shifted.bins) == pytest.approx(shifted.psi)
    assert shifted.n == 2000
    assert shifted.bins[0]["lower"] is None
    assert shifted.bins[0]["upper"] == pytest.approx(edges[0])
    assert shifted.bins[-1]["missing"] is True
    assert shifted.bins[-1]["actual"] == pytest.approx(1 / 2000)
    assert shifted.bins[-2]["upper"] is None

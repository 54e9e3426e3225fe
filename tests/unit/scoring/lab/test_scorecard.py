from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from optbinning import BinningProcess

from fengkong.scoring.lab.data import LabelledTable, LabError
from fengkong.scoring.lab.export import (
    scorecard_from_dict,
    scorecard_to_dict,
    scorecard_to_sql,
    scorecard_to_xlsx,
    write_artefacts,
)
from fengkong.scoring.lab.scorecard import (
    ScorecardSettings,
    TrainedScorecard,
    bin_index,
    pd_from_score,
    round_points,
    train_scorecard,
)
from tests.unit.scoring.lab.builders import never_seen_frame, never_seen_table


@pytest.fixture(scope="module")
def table() -> LabelledTable:
    return never_seen_table(rows=3000, seed=7, bad_rate=0.1)


@pytest.fixture(scope="module")
def card(table: LabelledTable) -> TrainedScorecard:
    return train_scorecard(table)


def test_the_default_scaling_gives_600_points_at_odds_50_to_1_and_20_points_to_double() -> None:
    settings = ScorecardSettings()
    scores = np.array([600.0, 620.0, 580.0])
    odds_good = (1 - pd_from_score(scores, settings)) / pd_from_score(scores, settings)
    np.testing.assert_allclose(odds_good, [50.0, 100.0, 25.0])


def test_a_feature_earns_its_intercept_share_minus_factor_times_coefficient_times_woe(
    card: TrainedScorecard,
) -> None:
    s = card.settings
    share = (s.offset - s.factor * card.intercept) / len(card.features)
    for feature in card.features:
        for b in feature.bins:
            assert b.points == round_points(share - s.factor * feature.coefficient * b.woe)


def test_informative_features_are_selected_and_the_noise_is_not(card: TrainedScorecard) -> None:
    assert {"逾期天数", "负债率", "经营年限", "地区"} <= set(card.feature_names)
    noise = next(s for s in card.selection if s.feature == "噪声")
    assert not noise.selected
    assert noise.reason == "IV below minimum"
    assert all(f.coefficient < 0 for f in card.features)


@pytest.mark.filterwarnings("ignore:::optbinning")
def test_ivs_agree_with_optbinnings_own_binning_tables(
    table: LabelledTable, card: TrainedScorecard
) -> None:
    process = BinningProcess(
        variable_names=list(table.columns),
        categorical_variables=list(table.categorical),
        binning_fit_params={
            name: {"monotonic_trend": "auto_asc_desc", "special_codes": [-999.0]}
            for name in table.numeric
        },
        n_jobs=1,
    ).fit(table.features, table.labels)
    oracle = process.summary().set_index("name")["iv"]
    for feature in card.features:
        assert feature.iv == pytest.approx(float(oracle[feature.name]), rel=1e-9)


def test_numeric_bins_have_a_monotonic_event_rate(card: TrainedScorecard) -> None:
    overdue = next(f for f in card.features if f.name == "逾期天数")
    rates = [b.event_rate for b in overdue.bins if b.kind == "interval"]
    assert len(rates) >= 3
    assert rates == sorted(rates)


def test_missing_values_and_special_codes_land_in_bins_of_their_own(
    table: LabelledTable, card: TrainedScorecard
) -> None:
    years = next(f for f in card.features if f.name == "经营年限")
    special = next(b for b in years.bins if b.kind == "special")
    assert special.count == int((table.features["经营年限"] == -999).sum()) > 0
    leverage = next(f for f in card.features if f.name == "负债率")
    missing = next(b for b in leverage.bins if b.kind == "missing")
    assert missing.count == int(table.features["负债率"].isna().sum()) > 0
    index = bin_index(years, pd.Series([-999.0, np.nan, 0.0]), card.special_codes)
    assert [years.bins[i].kind for i in index] == ["special", "missing", "interval"]


def test_an_unseen_category_scores_as_average_risk(card: TrainedScorecard) -> None:
    region = next(f for f in card.features if f.name == "地区")
    other = next(b for b in region.bins if b.kind == "other")
    assert (other.count, other.woe) == (0, 0.0)
    index = bin_index(region, pd.Series(["火星", "华东", None]), ())
    assert [region.bins[i].kind for i in index] == ["other", "categories", "missing"]


def test_of_two_correlated_features_the_one_with_the_higher_iv_is_kept() -> None:
    frame = never_seen_frame(3000, seed=7, bad_rate=0.1)
    frame["逾期天数_复制"] = frame["逾期天数"] * 1.01
    from fengkong.scoring.lab.data import labelled_table

    card = train_scorecard(labelled_table(frame, target="是否违约", bad_value="是"))
    names = set(card.feature_names)
    assert len(names & {"逾期天数", "逾期天数_复制"}) == 1
    dropped = next(s for s in card.selection if not s.selected and s.reason.startswith("correl"))
    kept = next(s for s in card.selection if s.feature in names & {"逾期天数", "逾期天数_复制"})
    assert dropped.iv <= kept.iv
    assert dropped.reason == f"correlated with {kept.feature} (higher IV)"


def test_no_feature_above_the_minimum_iv_is_refused_naming_the_best() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"噪声": rng.normal(size=500), "y": rng.random(500) < 0.2})
    from fengkong.scoring.lab.data import labelled_table

    with pytest.raises(LabError, match=r"no feature reaches the minimum IV 0\.5 \(best: 噪声"):
        train_scorecard(
            labelled_table(frame, target="y", bad_value="True"), ScorecardSettings(min_iv=0.5)
        )


def test_scaling_is_configurable(table: LabelledTable, card: TrainedScorecard) -> None:
    other = train_scorecard(table, ScorecardSettings(base_points=500, base_odds=20, pdo=40))
    np.testing.assert_allclose(
        other.predict_pd(table.features), card.predict_pd(table.features), atol=2e-3
    )
    assert other.score(table.features).mean() != pytest.approx(card.score(table.features).mean())


def test_the_json_and_yaml_documents_load_back_into_the_same_scorecard(
    table: LabelledTable, card: TrainedScorecard
) -> None:
    document = scorecard_to_dict(card)
    from_json = scorecard_from_dict(json.loads(json.dumps(document, ensure_ascii=False)))
    from_yaml = scorecard_from_dict(yaml.safe_load(yaml.safe_dump(document, allow_unicode=True)))
    expected = card.score(table.features)
    np.testing.assert_array_equal(from_json.score(table.features), expected)
    np.testing.assert_array_equal(from_yaml.score(table.features), expected)
    assert from_json.data_hash == table.data_hash


def test_a_malformed_document_is_refused() -> None:
    with pytest.raises(LabError, match="not a scorecard document"):
        scorecard_from_dict({"kind": "gbm"})
    with pytest.raises(LabError, match="malformed scorecard document: KeyError"):
        scorecard_from_dict({"kind": "scorecard", "format": 1, "features": []})


def test_the_sql_expression_gives_the_same_points_as_python_for_every_row(
    table: LabelledTable, card: TrainedScorecard
) -> None:
    frame = never_seen_frame(1500, seed=99, bad_rate=0.1)
    frame.loc[0, "地区"] = "火星"  # an unseen category
    frame.loc[1, "地区"] = "O'Brien"  # a quote inside a value
    columns = list(card.feature_names)
    with sqlite3.connect(":memory:") as connection:
        definitions = ", ".join(
            f'"{name}" {"TEXT" if name in table.categorical else "REAL"}' for name in columns
        )
        connection.execute(f"CREATE TABLE applicants (id INTEGER PRIMARY KEY, {definitions})")
        rows = [
            (i, *(None if pd.isna(v) else v for v in record))
            for i, record in enumerate(frame[columns].itertuples(index=False))
        ]
        marks = ", ".join("?" * (len(columns) + 1))
        connection.executemany(f"INSERT INTO applicants VALUES ({marks})", rows)  # noqa: S608
        query = f"SELECT {scorecard_to_sql(card)} AS score FROM applicants ORDER BY id"  # noqa: S608
        from_sql = [row[0] for row in connection.execute(query)]
    from_python = card.score(frame)
    assert len(from_sql) == 1500
    assert [round(v, 6) for v in from_sql] == [round(float(v), 6) for v in from_python]


def test_the_excel_table_lists_every_bin_with_woe_iv_event_rate_count_and_points(
    tmp_path: Path, card: TrainedScorecard
) -> None:
    path = tmp_path / "card.xlsx"
    scorecard_to_xlsx(card, path)
    rows = list(
        pd.read_excel(path, sheet_name="scorecard", header=None, engine="calamine").itertuples(
            index=False, name=None
        )
    )
    assert rows[0] == ("feature", "bin", "WOE", "IV", "event rate", "count", "bads", "points")
    assert len(rows) - 1 == sum(len(f.bins) for f in card.features)
    first = card.features[0].bins[0]
    assert rows[1][0] == card.features[0].name
    assert rows[1][2:] == pytest.approx(
        (first.woe, first.iv, first.event_rate, first.count, first.bads, first.points), rel=1e-12
    )


def test_excel_cells_that_look_like_formulas_are_quoted(
    tmp_path: Path, card: TrainedScorecard
) -> None:
    feature = card.features[0]
    evil = replace(feature, name="=HYPERLINK(1)")
    path = tmp_path / "evil.xlsx"
    scorecard_to_xlsx(replace(card, features=(evil,)), path)
    cell = pd.read_excel(path, sheet_name="scorecard", engine="calamine")["feature"][0]
    assert cell == "'=HYPERLINK(1)"


def test_artefacts_are_written_as_json_yaml_sql_and_xlsx(
    tmp_path: Path, card: TrainedScorecard
) -> None:
    written = write_artefacts(card, tmp_path / "out")
    assert sorted(p.name for p in written) == [
        "scorecard.json",
        "scorecard.sql",
        "scorecard.xlsx",
        "scorecard.yaml",
    ]
    document = json.loads((tmp_path / "out" / "scorecard.json").read_text(encoding="utf-8"))
    assert document["settings"]["pdo"] == 20.0
    assert not math.isnan(document["intercept"])


def test_reason_codes_name_the_features_that_cost_the_most_points(
    table: LabelledTable, card: TrainedScorecard
) -> None:
    frame = table.features.iloc[:50]
    reasons = card.reason_codes(frame, top=2)
    assert len(reasons) == 50
    for codes in reasons:
        assert len(codes) <= 2
        assert all(gap > 0 for _, gap in codes)
        assert [gap for _, gap in codes] == sorted((gap for _, gap in codes), reverse=True)

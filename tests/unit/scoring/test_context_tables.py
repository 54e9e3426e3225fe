from __future__ import annotations

import polars as pl
import pytest

from fengkong.reference.classifications import industry_sections, regions
from fengkong.scoring.context import ContextTables, ContextTablesError


def _levels(
    tables: ContextTables, industries: list[str | None], regions_: list[str | None]
) -> tuple[list[float | None], list[float | None]]:
    frame = pl.DataFrame(
        {"industry": industries, "region": regions_},
        schema={"industry": pl.String, "region": pl.String},
    ).select(
        tables.industry_level(pl.col("industry")).alias("industry"),
        tables.region_level(pl.col("region")).alias("region"),
    )
    return frame["industry"].to_list(), frame["region"].to_list()


def test_the_longest_matching_prefix_sets_the_level() -> None:
    tables = ContextTables(industry={"C": 3, "C31": 4, "C3011": 1}, region={"44": 1, "4403": 2})
    industry, region = _levels(
        tables,
        ["C", "C3", "C31", "C3120", "C3011", "c31"],
        ["440100", "440300", "44", "4", None, None],
    )
    assert industry == [3.0, 3.0, 4.0, 4.0, 1.0, 4.0]
    assert region == [1.0, 2.0, 1.0, None, None, None]


def test_a_code_no_prefix_matches_is_missing_not_a_default_level() -> None:
    tables = ContextTables(industry={"E": 5}, region={})
    assert _levels(tables, ["F51", None], ["110000", "310000"]) == ([None, None], [None, None])


def test_the_default_tables_cover_every_industry_section_and_every_province() -> None:
    tables = ContextTables.default()
    assert set(industry_sections()) <= set(tables.industry)
    provinces = {code[:2] for code in regions()}
    assert provinces <= set(tables.region)


def test_the_defaults_rate_construction_and_real_estate_above_finance_and_utilities() -> None:
    levels = ContextTables.default().industry
    assert min(levels["E"], levels["K"]) > max(levels["J"], levels["D"])


def test_tables_survive_a_yaml_round_trip() -> None:
    tables = ContextTables.default()
    assert ContextTables.from_yaml(tables.to_yaml()) == tables


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("industry: {E: 6}", "industry E: level 6 is outside 1..5"),
        ("industry: {E: 0}", "industry E: level 0 is outside 1..5"),
        ("industry: {E: high}", "industry E: level 'high' is not a whole number"),
        ("industry: {E: 2.5}", "industry E: level 2.5 is not a whole number"),
        ("industry: {E: true}", "industry E: level True is not a whole number"),
        ("industry: {Z: 3}", "industry: 'Z' is not a valid code prefix"),
        ("industry: {e: 3, E: 4}", "industry: prefix E appears twice"),
        ("region: {'4': 3}", "region: '4' is not a valid code prefix"),
        ("region: [44]", "region: expected a mapping of code prefix to level"),
        ("sectors: {E: 3}", "unknown keys: sectors"),
        ("version: 2", "version 2 is not supported"),
        ("- E", "expected a mapping"),
        ("industry: {E: [", "not valid YAML"),
    ],
)
def test_malformed_tables_are_refused_with_a_message_naming_the_problem(
    text: str, message: str
) -> None:
    with pytest.raises(ContextTablesError, match=message.replace("(", r"\(").replace(".", r"\.")):
        ContextTables.from_yaml(text)

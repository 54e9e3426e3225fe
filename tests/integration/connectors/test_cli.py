"""``fengkong connectors`` on demo data with the sandbox, against a throw-away SQLite file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fengkong.cli import app
from fengkong.settings import get_settings

runner = CliRunner()


@pytest.fixture
def demo_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FENGKONG_DATABASE_URL", url)
    monkeypatch.setenv("FENGKONG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FENGKONG_CONNECTORS_AGENCY", "folder,sandbox")
    monkeypatch.setenv("FENGKONG_CONNECTORS_REGISTRY", "sandbox")
    monkeypatch.setenv("FENGKONG_CONNECTORS_COURT", "sandbox")
    (tmp_path / "connectors").mkdir()
    get_settings.cache_clear()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(app, ["demo", "--customers", "80", "--seed", "7"])
    assert loaded.exit_code == 0, loaded.output
    yield url
    get_settings.cache_clear()


def count(label: str, output: str) -> int:
    """The sum of every ``<label> N`` in the output (one per kind of data)."""
    return sum(int(n.replace(",", "")) for n in re.findall(rf"\b{label} ([\d,]+)", output))


def test_pulling_for_every_demo_customer_verifies_most_usccs_and_flags_some(
    demo_database: str,
) -> None:
    result = runner.invoke(app, ["connectors", "pull", "--all", "--force"])
    assert result.exit_code == 0, result.output
    assert "pulled credit data for 80 customer(s)" in result.output
    assert count("uscc verified", result.output) > 60
    assert count("uscc mismatch", result.output) > 0
    assert count("unverified", result.output) > 0
    assert "cost: CNY " in result.output

    # Found data is recent enough now; what no provider knew is asked for again.
    again = runner.invoke(app, ["connectors", "pull", "--all", "--kind", "registry"])
    assert count("fresh_enough", again.output) == 80 - count("not_found", again.output)
    assert count("not_found", again.output) < 10

    costs = runner.invoke(app, ["connectors", "costs"])
    assert costs.exit_code == 0, costs.output
    calls = 240 + count("not_found", again.output)
    assert re.search(rf"sandbox\s+{calls}\s", costs.output)
    assert re.search(r"folder\s+80\s+0\s+free", costs.output)


def test_one_customer_or_all_but_not_both(demo_database: str) -> None:
    assert runner.invoke(app, ["connectors", "pull"]).exit_code != 0
    assert runner.invoke(app, ["connectors", "pull", "--customer", "1", "--all"]).exit_code != 0
    missing = runner.invoke(app, ["connectors", "pull", "--customer", "99999"])
    assert missing.exit_code == 1
    assert "no customer with id 99999" in missing.output


def test_a_malformed_export_file_stops_the_pull_with_its_name(
    demo_database: str, tmp_path: Path
) -> None:
    (tmp_path / "connectors" / "broken.json").write_text("{", encoding="utf-8")
    result = runner.invoke(
        app, ["connectors", "pull", "--customer", "1", "--kind", "agency_report"]
    )
    assert result.exit_code == 1
    assert "broken.json: not valid JSON" in result.output

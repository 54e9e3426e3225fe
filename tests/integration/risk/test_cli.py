"""``fengkong score``, ``fengkong scorecard`` and ``fengkong grade-scale`` against a throw-away
SQLite file, after ``fengkong demo`` has loaded and scored a small portfolio."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fengkong.cli import app
from fengkong.risk import configs
from fengkong.risk.configs import ConfigKind


@pytest.mark.usefixtures("cli_database_url")
def test_the_demo_is_scored_and_scores_and_scorecards_are_managed_from_the_cli(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    demo = runner.invoke(app, ["demo", "--customers", "25", "--seed", "5", "--as-of", "2026-06-30"])
    assert demo.exit_code == 0, demo.output
    assert "scored 25 customer(s) as of 2026-06-30" in demo.output

    again = runner.invoke(app, ["score", "--all", "--as-of", "2026-06-30"])
    assert again.exit_code == 0, again.output
    assert "0 new score(s), 25 unchanged" in again.output
    one = runner.invoke(app, ["score", "--customer", "3", "--as-of", "2026-06-30"])
    assert "scored 1 customer(s)" in one.output
    changed = runner.invoke(app, ["score", "--changed", "--as-of", "2026-06-30"])
    assert changed.exit_code == 0, changed.output
    assert "customer(s)" in changed.output
    both = runner.invoke(app, ["score", "--all", "--changed"])
    assert both.exit_code != 0

    listed = runner.invoke(app, ["scorecard", "list"])
    assert "   1  active" in listed.output
    exported = runner.invoke(app, ["scorecard", "export"])
    assert exported.output == configs.shipped_yaml(ConfigKind.SCORECARD)
    changed_file = tmp_path / "scale.yaml"
    changed_file.write_text(
        configs.shipped_yaml(ConfigKind.GRADE_SCALE).replace("min_score: 750", "min_score: 760"),
        encoding="utf-8",
    )
    imported = runner.invoke(app, ["grade-scale", "import", str(changed_file), "--note", "A≥760"])
    assert imported.exit_code == 0, imported.output
    assert "stored as version 2 (draft)" in imported.output
    activated = runner.invoke(app, ["grade-scale", "activate", "2"])
    assert "version 2 is active" in activated.output
    rescored = runner.invoke(app, ["score", "--all", "--as-of", "2026-06-30"])
    assert "grade scale v2: 25 new score(s)" in rescored.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nversion: '1'\ngrades: []\n", encoding="utf-8")
    refused = runner.invoke(app, ["grade-scale", "import", str(broken)])
    assert refused.exit_code == 1
    assert "master scale x: grades must be" in refused.output

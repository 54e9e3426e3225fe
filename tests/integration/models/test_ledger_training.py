"""Training from the ledgers in the database: the service on SQLite and PostgreSQL, the
out-of-time backtest and report of a model trained on the demo, and the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fengkong.auth.actor import Actor
from fengkong.cli import app
from fengkong.demo import service as demo_service
from fengkong.errors import PermissionDenied
from fengkong.kit.money import Money
from fengkong.kit.time import utcnow
from fengkong.models import service
from fengkong.risk.ledgers import load_ledgers
from fengkong.scoring.context import ContextTables
from fengkong.scoring.features import FEATURE_NAMES
from fengkong.scoring.lab import export, report, validation
from fengkong.scoring.lab.ledger_sample import LedgerSample, SampleSettings, build_ledger_sample
from fengkong.settings import get_settings
from tests import factories
from tests.personas import Personas
from tests.unit.scoring.synthetic_book import synthetic_book

ADMIN = Actor.system("test")
KNOWN_ON = date(2025, 12, 31)
FIRST_HALF_OF_2024 = SampleSettings(
    first_observation=date(2024, 1, 31), last_observation=date(2024, 6, 30)
)
DEMO_AS_OF = date(2026, 6, 30)
runner = CliRunner()


def _paid_on_time(customer_id: int, issued: date) -> None:
    invoice = factories.invoice(
        customer_id=customer_id, issue_date=issued, due_date=date(issued.year, issued.month, 28)
    )
    paid = factories.payment(customer_id=customer_id, paid_on=invoice.due_date)
    factories.allocation(payment_id=paid.id, invoice_id=invoice.id, amount_minor=100_000)


def _never_paid(customer_id: int) -> None:
    """Due 2024-03-31, so 90 days past due on 2024-06-29."""
    factories.invoice(
        customer_id=customer_id,
        issue_date=date(2024, 3, 1),
        due_date=date(2024, 3, 31),
        amount=Money.of("5000.00", "CNY"),
    )


def test_load_ledgers_reads_archived_customers_only_when_asked(session: Session) -> None:
    active = factories.customer()
    archived = factories.customer(archived_at=utcnow())

    everyone = load_ledgers(session, as_of=KNOWN_ON, include_archived=True)
    current = load_ledgers(session, as_of=KNOWN_ON)

    assert {active.id, archived.id} <= set(everyone.customers["customer_id"].to_list())
    assert archived.id not in current.customers["customer_id"].to_list()


def test_the_sample_is_drawn_from_the_database_archived_customers_included(
    session: Session,
) -> None:
    good, bad, gone = (factories.customer() for _ in range(3))
    for customer in (good, bad, gone):
        _paid_on_time(customer.id, date(2023, 12, 1))
    _never_paid(bad.id)
    _never_paid(gone.id)
    gone.archived_at = utcnow()  # the relationship ended after the default
    session.flush()

    sample = service.ledger_training_sample(
        session, ADMIN, settings=FIRST_HALF_OF_2024, as_of=KNOWN_ON
    )

    assert sample.known_until == KNOWN_ON
    assert len(sample.observation_dates) == 6
    mine = np.isin(sample.customer_ids, [good.id, bad.id, gone.id])
    bads = {int(c) for c in sample.customer_ids[mine & (sample.table.labels == 1)]}
    assert bads == {bad.id, gone.id}
    # Bad from January to May; in default on 2024-06-29, so left out of June.
    assert int(sample.table.labels[sample.customer_ids == bad.id].sum()) == 5
    assert int((sample.customer_ids == good.id).sum()) == 6
    assert sample.describe()["known_until"] == "2025-12-31"


def test_drawing_a_training_sample_needs_models_write(session: Session, personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        service.ledger_training_sample(
            session, personas.sam_sales.actor, settings=FIRST_HALF_OF_2024, as_of=KNOWN_ON
        )


def test_a_scorecard_trained_on_the_demo_ledgers_is_backtested_out_of_time_and_registered(
    session: Session, tmp_path: Path
) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the lab's part runs once; loading ledgers is tested on both backends above")
    demo_service.load_demo(session, ADMIN, customers=120, seed=42, as_of=DEMO_AS_OF)
    sample = service.ledger_training_sample(
        session, ADMIN, settings=SampleSettings(), as_of=DEMO_AS_OF
    )
    table = sample.table
    recipe = validation.Recipe(kind=validation.ModelKind.SCORECARD)

    cv = validation.cross_validate(table, recipe, folds=2, seed=42, groups=sample.customer_ids)
    backtest = validation.out_of_time_backtest(table, recipe)
    final = recipe.train(table)
    current = validation.stability(final, table.features, sample.current)
    summary = validation.validation_summary(table, cv, backtest=backtest, recent=current)
    summary["sample"] = sample.describe()
    summary["folds_grouped_by"] = "customer"
    html = report.render_report(summary, final)

    assert sample.observation_dates[-1] == date(2025, 6, 30)
    assert 0.01 < table.bad_rate < 0.2
    assert sample.leakage_checked == (sample.observation_dates[0], date(2025, 6, 30))
    # Trained on the months before the test period, scored on the later ones.
    assert backtest.first_test_period > "2024-06"
    assert backtest.metrics.n_bad > 0
    assert backtest.metrics.auc > 0.6
    assert "Out-of-time backtest" in html
    assert f"AUC {backtest.metrics.auc:.4f}, KS {backtest.metrics.ks:.4f}" in html
    assert "Training sample from the ledgers" in html
    assert "Bad = first reaching 90 days past due" in html
    assert "Cross-validation keeps each customer's rows in one fold." in html
    assert set(final.feature_names) <= set(FEATURE_NAMES)

    folder = tmp_path / "trained"
    export.write_artefacts(final, folder)
    (folder / "validation.json").write_text(json.dumps(summary), encoding="utf-8")
    (folder / "report.html").write_text(html, encoding="utf-8")
    model = service.register_directory(session, ADMIN, directory=folder, name="ledger-pd")
    training_data = model.parameters["training_data"]
    assert training_data["source"] == "ledgers"
    assert (training_data["dpd_threshold"], training_data["performance_months"]) == (90, 12)
    assert training_data["n_observations"] == table.n_rows
    assert training_data["bad_rate"] == pytest.approx(table.bad_rate)
    assert training_data["last_observation"] == "2025-06-30"
    assert model.features == list(final.feature_names)


def test_train_takes_either_a_file_or_the_ledgers(tmp_path: Path) -> None:
    data = tmp_path / "sample.csv"
    data.write_text("x,y\n1,0\n2,1\n", encoding="utf-8")

    both = runner.invoke(app, ["model", "train", "--from-ledgers", "--data", str(data)])
    neither = runner.invoke(app, ["model", "train"])
    stray = runner.invoke(app, ["model", "train", "--from-ledgers", "--target", "y"])
    mixed = runner.invoke(
        app,
        ["model", "train", "--data", str(data), "--target", "y", "--bad-value", "1", "--dpd", "30"],
    )

    for result in (both, neither):
        assert result.exit_code == 2
        assert "give exactly one" in _message(result.output)
    assert stray.exit_code == 2
    assert "--target does not apply with --from-ledgers" in _message(stray.output)
    assert mixed.exit_code == 2
    assert "--dpd does not apply with --data" in _message(mixed.output)


def _message(output: str) -> str:
    """The error text without the box and line breaks the terminal rendering adds."""
    return " ".join(output.replace("│", " ").split())


def test_model_train_from_ledgers_passes_the_sample_settings_and_reports_the_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's wiring, on a synthetic book standing in for the database's ledgers."""
    monkeypatch.setenv("FENGKONG_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    get_settings.cache_clear()
    asked: dict[str, object] = {}

    def sample_of_book(
        session: Session, actor: Actor, *, settings: SampleSettings, as_of: date | None = None
    ) -> LedgerSample:
        asked.update(settings=settings, as_of=as_of, actor=actor.username)
        book = synthetic_book(80, as_of=DEMO_AS_OF, seed=8)
        return build_ledger_sample(book, ContextTables.default(), settings, known_until=as_of)

    monkeypatch.setattr(service, "ledger_training_sample", sample_of_book)
    out = tmp_path / "scorecard"
    result = runner.invoke(
        app,
        [
            "model", "train", "--from-ledgers", "--as-of", "2026-06-30",
            "--dpd", "60", "--performance-months", "6", "--first-observation", "2024-01-15",
            "--folds", "2", "--out", str(out), "--json",
        ],
    )  # fmt: skip
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)

    assert asked == {
        "settings": SampleSettings(
            dpd_threshold=60, performance_months=6, first_observation=date(2024, 1, 15)
        ),
        "as_of": DEMO_AS_OF,
        "actor": "cli",
    }
    assert summary["sample"]["first_observation"] == "2024-01-31"
    assert summary["sample"]["last_observation"] == "2025-12-31"
    assert summary["sample"]["target"] == "dpd60_within_6m"
    assert summary["folds_grouped_by"] == "customer"
    assert summary["backtest"]["n_bad"] > 0
    assert summary["stability"]["psi"] >= 0  # the current book against development
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Training sample from the ledgers" in page
    assert "Out-of-time backtest" in page
    assert json.loads((out / "scorecard.json").read_text(encoding="utf-8"))["kind"] == "scorecard"

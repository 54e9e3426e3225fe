"""The model registry in the UI: the list with the champion badge, a model's page with the
sandboxed report and the decision forms (never for the author), and deciding through them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from fengkong.models import service
from fengkong.models.status import ModelState
from tests.integration.models.training import gbm_run, holdout_data, lab_data, scorecard_run
from tests.personas import Personas
from tests.web.conftest import SignedIn

__all__ = ["gbm_run", "holdout_data", "lab_data", "scorecard_run"]


def test_the_list_shows_every_model_with_its_state_metrics_and_the_champion_badge(
    signed_in: SignedIn, personas: Personas, session: Session, scorecard_run: Path
) -> None:
    model = service.register_directory(
        session, personas.alice_analyst.actor, directory=scorecard_run, name="pd"
    )
    page = signed_in(personas.ada_auditor).page("/models")
    assert page.status_code == 200
    assert f'href="/models/{model.id}"' in page.text
    assert "草稿" in page.text  # draft
    assert "冠军" in page.text  # the expert scorecard is champion
    assert model.metrics is not None
    assert f"{model.metrics['auc']:.4f}" in page.text
    assert signed_in(personas.sam_sales).get("/models").status_code == 403


def test_a_manager_approves_and_promotes_from_the_model_page_but_never_their_own(
    signed_in: SignedIn, personas: Personas, session: Session, scorecard_run: Path
) -> None:
    model = service.register_directory(
        session, personas.alice_analyst.actor, directory=scorecard_run, name="pd"
    )
    service.validate_model(session, personas.alice_analyst.actor, model_id=model.id)
    analyst_page = signed_in(personas.alice_analyst).page(f"/models/{model.id}")
    assert f'action="/models/{model.id}/approve"' not in analyst_page.text
    assert f'<iframe class="model-report" src="/models/{model.id}/report" sandbox=""' in (
        analyst_page.text
    )

    manager = signed_in(personas.bob_manager)
    page = manager.page(f"/models/{model.id}")
    assert f'action="/models/{model.id}/approve"' in page.text
    response = manager.post(f"/models/{model.id}/approve", {"comment": "好"})
    assert (response.status_code, response.headers["location"]) == (303, f"/models/{model.id}")
    assert model.state is ModelState.APPROVED
    manager.post(f"/models/{model.id}/promote", {"comment": ""})
    assert model.state is ModelState.CHAMPION  # type: ignore[comparison-overlap]

    report = manager.get(f"/models/{model.id}/report")
    assert report.status_code == 200
    assert "sandbox" in report.headers["content-security-policy"]

    own = service.register_directory(
        session, personas.bob_manager.actor, directory=scorecard_run, name="pd"
    )
    service.validate_model(session, personas.bob_manager.actor, model_id=own.id)
    own_page = manager.page(f"/models/{own.id}")
    assert "另一人" in own_page.text or "another person" in own_page.text
    manager.post(f"/models/{own.id}/approve", {})
    assert own.state is ModelState.VALIDATED

"""Drift and champion-vs-challenger in the UI: the list's drift verdict for champions, the model
page's drift watch (bins and daily checks), and two stored validations side by side."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.models import drift, service
from tests.integration.models.live_book import (
    DAY,
    SHIFTED,
    STABLE,
    at,
    book,
    rescore,
    trained_champion,
)
from tests.integration.models.training import gbm_run, holdout_data, lab_data, scorecard_run
from tests.personas import Personas
from tests.web.conftest import SignedIn

__all__ = ["gbm_run", "holdout_data", "lab_data", "scorecard_run"]

JOB = Actor.system("test")


def test_the_list_and_the_model_page_show_the_drift_verdict_bins_and_daily_checks(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    model = trained_champion(session, personas.alice_analyst.user)
    ids = book(session, model, STABLE)
    drift.check_drift(session, JOB, today=DAY, min_scores=30, now=at(DAY))
    rescore(session, model, ids, SHIFTED)
    later = DAY + timedelta(days=1)
    [result] = [
        r
        for r in drift.check_drift(session, JOB, today=later, min_scores=30, now=at(later))
        if r.model.id == model.id
    ]
    assert result.check.psi is not None

    web = signed_in(personas.ada_auditor)
    listing = web.page("/models")
    assert "badge--drift-drifted" in listing.text
    assert "已漂移" in listing.text  # drifted
    assert f"{result.check.psi:.3f}" in listing.text

    page = web.page(f"/models/{model.id}")
    assert "漂移监测" in page.text  # the drift watch section
    assert f"{result.check.psi:.4f}" in page.text
    assert page.text.count('class="amount">10.0 %</td>') >= 5  # reference deciles
    assert "稳定" in page.text  # the first day's verdict, in the history
    assert "开发样本" in page.text  # against the development sample


def test_a_challenger_links_to_its_side_by_side_comparison_with_the_champion(
    signed_in: SignedIn,
    personas: Personas,
    session: Session,
    scorecard_run: Path,
    gbm_run: Path,
) -> None:
    actor = personas.alice_analyst.actor
    champion = service.register_directory(session, actor, directory=scorecard_run, name="pd")
    service.validate_model(session, actor, model_id=champion.id)
    service.approve_model(session, personas.bob_manager.actor, model_id=champion.id)
    service.promote_model(session, personas.bob_manager.actor, model_id=champion.id)
    challenger = service.register_directory(session, actor, directory=gbm_run, name="pd")

    web = signed_in(personas.ada_auditor)
    link = f"/models/compare?champion={champion.id}&amp;challenger={challenger.id}"
    assert link in web.page(f"/models/{challenger.id}").text

    page = web.page(f"/models/compare?champion={champion.id}&challenger={challenger.id}")
    assert "pd 第 1 版" in page.text
    assert "pd 第 2 版" in page.text
    assert champion.metrics is not None
    assert challenger.metrics is not None
    assert f"{champion.metrics['auc']:.4f}" in page.text
    assert f"{challenger.metrics['auc'] - champion.metrics['auc']:+.4f}" in page.text
    assert "不能直接比较" not in page.text  # both developed on the same data
    assert page.text.count("B10") == 2  # both calibration tables

    expert = service.sync_expert(session, personas.adam_admin.actor)
    assert expert is not None
    other = web.page(f"/models/compare?champion={expert.id}&challenger={challenger.id}")
    assert "不能直接比较" in other.text  # the expert scorecard has no development data
    assert web.get("/models/compare?champion=999999&challenger=1").status_code == 404
    assert signed_in(personas.sam_sales).get(link.replace("&amp;", "&")).status_code == 403

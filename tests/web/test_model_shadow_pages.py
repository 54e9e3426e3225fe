"""Champion and shadow challengers in the UI: the customer page names the model behind the
score (a trained one on its own points scale), and a manager runs a challenger in the shadow
from its model page, which then compares it with the champion."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.models import service as models_service
from fengkong.models.models import ModelVersion
from fengkong.models.status import ModelKind
from fengkong.risk import service as risk_service
from fengkong.risk.models import ScoreTrigger
from fengkong.scoring.lab.data import labelled_table
from fengkong.scoring.lab.export import scorecard_to_json
from fengkong.scoring.lab.scorecard import train_scorecard
from tests.integration.risk.conftest import AS_OF, scored_customer
from tests.personas import Personas
from tests.web.conftest import SignedIn

SYSTEM = Actor.system("test")


@pytest.fixture(scope="module")
def library_scorecard() -> str:
    rng = np.random.default_rng(17)
    dpd = rng.integers(0, 120, 500).astype(float)
    bad = rng.uniform(size=500) < 1 / (1 + np.exp(-(-3.0 + 0.04 * dpd)))
    frame = pd.DataFrame(
        {
            "max_dpd_12m": dpd,
            "weighted_dpd_12m": (dpd * rng.uniform(0.3, 0.7, 500)).round(1),
            "bad": np.where(bad, "yes", "no"),
        }
    )
    return scorecard_to_json(train_scorecard(labelled_table(frame, target="bad", bad_value="yes")))


def validated(session: Session, personas: Personas, artefact: str) -> ModelVersion:
    models_service.sync_expert(session, SYSTEM)
    model = models_service.register_model(
        session,
        personas.alice_analyst.actor,
        name="fengkong-expert",
        kind=ModelKind.SCORECARD,
        artefact=artefact,
        metrics={"auc": 0.74, "ks": 0.38},
    )
    models_service.validate_model(session, personas.alice_analyst.actor, model_id=model.id)
    return model


def score(session: Session, customer_id: int) -> None:
    risk_service.score_customers(
        session, SYSTEM, customer_ids=[customer_id], as_of=AS_OF, trigger=ScoreTrigger.MANUAL
    )


def test_a_manager_runs_a_challenger_in_the_shadow_and_its_page_compares_it(
    signed_in: SignedIn, personas: Personas, session: Session, library_scorecard: str
) -> None:
    customer = scored_customer(late_days=30)
    model = validated(session, personas, library_scorecard)
    assert (
        'action="/models/'
        not in signed_in(personas.alice_analyst)
        .page(f"/models/{model.id}")
        .text.split('id="shadow"')[1]
    )

    manager = signed_in(personas.bob_manager)
    page = manager.page(f"/models/{model.id}")
    assert "尚无影子评分" in page.text
    response = manager.post(f"/models/{model.id}/shadow", {"on": "true"})
    assert response.status_code == 303
    assert model.shadow is True
    score(session, customer.id)

    page = manager.page(f"/models/{model.id}")
    shadow = page.text.split('id="shadow"')[1].split("</section>")[0]
    assert "影子评分中" in shadow
    assert "两者都评分的 1 户客户" in shadow
    assert "停止影子评分" in shadow
    assert len(re.findall(r'<td class="amount">1</td>', shadow)) >= 2  # a cell and a total
    assert "影子评分中" in manager.page("/models").text

    manager.post(f"/models/{model.id}/shadow", {"on": "false"})
    assert model.shadow is False


def test_the_customer_page_names_the_model_and_shows_a_trained_score_on_its_own_scale(
    signed_in: SignedIn, personas: Personas, session: Session, library_scorecard: str
) -> None:
    customer = scored_customer(late_days=30)
    model = validated(session, personas, library_scorecard)
    models_service.approve_model(session, personas.bob_manager.actor, model_id=model.id)
    models_service.promote_model(session, personas.bob_manager.actor, model_id=model.id)
    score(session, customer.id)

    card = signed_in(personas.alice_analyst).page(f"/customers/{customer.id}").text
    assert f"fengkong-expert，第 {model.version} 版 · 统计评分卡" in card
    assert "按模型自身刻度" in card
    assert "否决规则" in card
    assert "近12个月最大逾期天数" in card

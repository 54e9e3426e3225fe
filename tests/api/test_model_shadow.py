"""Shadow scoring over REST: a risk manager switches a challenger on, scoring runs feed it, the
comparison reads back, and the risk API names the model behind each score."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.risk import service as risk_service
from fengkong.risk.models import ScoreTrigger
from fengkong.scoring.lab.data import labelled_table
from fengkong.scoring.lab.export import scorecard_to_json
from fengkong.scoring.lab.scorecard import train_scorecard
from tests.integration.risk.conftest import AS_OF, scored_customer
from tests.personas import Persona, Personas


@pytest.fixture(scope="module")
def library_scorecard() -> str:
    rng = np.random.default_rng(13)
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


def post(client: TestClient, persona: Persona, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/models{path}", json=body, headers=persona.headers)


def test_a_challenger_runs_in_the_shadow_and_compares_with_the_champion(
    client: TestClient, session: Session, personas: Personas, library_scorecard: str
) -> None:
    customer = scored_customer(late_days=30)
    client.get("/api/v1/models", headers=personas.ada_auditor.headers)  # records the expert
    created = post(
        client,
        personas.alice_analyst,
        "",
        {
            "name": "fengkong-expert",
            "kind": "scorecard",
            "artefact": library_scorecard,
            "metrics": {"auc": 0.74, "ks": 0.38},
        },
    )
    assert created.status_code == 201, created.text
    model_id = created.json()["id"]
    assert post(client, personas.alice_analyst, f"/{model_id}/validate", {}).status_code == 200

    assert (
        post(client, personas.alice_analyst, f"/{model_id}/shadow", {"on": True}).status_code == 403
    )
    switched = post(client, personas.bob_manager, f"/{model_id}/shadow", {"on": True})
    assert switched.status_code == 200, switched.text
    assert switched.json()["shadow"] is True
    risk_service.score_customers(
        session,
        Actor.system("test"),
        customer_ids=[customer.id],
        as_of=AS_OF,
        trigger=ScoreTrigger.ALL,
    )

    compared = client.get(f"/api/v1/models/{model_id}/shadow", headers=personas.ada_auditor.headers)
    assert compared.status_code == 200, compared.text
    body = compared.json()
    assert (body["challenger_id"], body["as_of"], body["n"]) == (model_id, AS_OF.isoformat(), 1)
    assert sum(body["grades"]["challenger"].values()) == 1
    assert date.fromisoformat(body["outcomes_until"]) > AS_OF
    assert body["n_bad"] == 0

    risk = client.get(f"/api/v1/customers/{customer.id}/risk", headers=personas.ada_auditor.headers)
    assert risk.json()["scoring_model"] == {
        "id": body["champion_id"],
        "name": "fengkong-expert",
        "version": 1,
        "kind": "expert",
    }
    history = client.get(
        f"/api/v1/customers/{customer.id}/risk/history", headers=personas.ada_auditor.headers
    ).json()
    assert history["items"][0]["scoring_model"]["id"] == body["champion_id"]

"""Scorecards and grade scales stored by version: import, validation, activation, export."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.config_versions import ConfigStatus
from fengkong.risk import configs, service
from fengkong.risk.configs import ConfigKind
from fengkong.risk.models import ScoreTrigger
from tests.integration.risk.conftest import AS_OF, scored_customer

ACTOR = Actor.system("test")


def _stricter_scale() -> str:
    """The shipped scale with every cut-off 100 points higher."""
    text = configs.shipped_yaml(ConfigKind.GRADE_SCALE)
    for old, new in (("750", "850"), ("650", "750"), ("550", "650"), ("450", "550")):
        text = text.replace(f"min_score: {old}", f"min_score: {new}")
    return text.replace("version: ", "version: stricter-", 1)


def test_the_shipped_defaults_become_version_one_on_first_use(session: Session) -> None:
    active = configs.ensure_active(session, ACTOR)

    assert (active.scorecard_row.version, active.scale_row.version) == (1, 1)
    assert active.scorecard_row.status is ConfigStatus.ACTIVE
    exported = configs.get_version(session, ACTOR, kind=ConfigKind.SCORECARD)
    assert exported.yaml_text == configs.shipped_yaml(ConfigKind.SCORECARD)


def test_an_imported_version_is_a_draft_until_activated(session: Session) -> None:
    configs.ensure_active(session, ACTOR)
    customer = scored_customer(late_days=10)
    service.score_customers(
        session, ACTOR, customer_ids=[customer.id], as_of=AS_OF, trigger=ScoreTrigger.MANUAL
    )
    before = service.get_risk(session, ACTOR, customer_id=customer.id)

    draft = configs.import_version(
        session, ACTOR, kind=ConfigKind.GRADE_SCALE, yaml_text=_stricter_scale(), note="stricter"
    )
    assert (draft.version, draft.status) == (2, ConfigStatus.DRAFT)
    unchanged = service.score_customers(
        session, ACTOR, customer_ids=[customer.id], as_of=AS_OF, trigger=ScoreTrigger.MANUAL
    )
    assert unchanged.stored == 0

    configs.activate_version(session, ACTOR, kind=ConfigKind.GRADE_SCALE, version=2)
    rescored = service.score_customers(
        session, ACTOR, customer_ids=[customer.id], as_of=AS_OF, trigger=ScoreTrigger.MANUAL
    )

    assert rescored.stored == 1
    assert rescored.scale_version == 2
    after = service.get_risk(session, ACTOR, customer_id=customer.id)
    assert after.score == before.score
    assert after.scale_version == 2
    assert "ABCDE".index(after.grade) >= "ABCDE".index(before.grade)
    history = service.risk_history(session, ACTOR, customer_id=customer.id)
    assert [entry.scale_version for entry in history] == [2, 1]
    versions = configs.list_versions(session, ACTOR, kind=ConfigKind.GRADE_SCALE)
    assert [(row.version, row.status) for row in versions] == [
        (2, ConfigStatus.ACTIVE),
        (1, ConfigStatus.RETIRED),
    ]


def test_importing_the_same_text_again_stores_nothing_new(session: Session) -> None:
    text = _stricter_scale()
    first = configs.import_version(session, ACTOR, kind=ConfigKind.GRADE_SCALE, yaml_text=text)
    second = configs.import_version(session, ACTOR, kind=ConfigKind.GRADE_SCALE, yaml_text=text)
    assert first.id == second.id


def test_a_scorecard_with_a_gap_is_refused_naming_the_factor(session: Session) -> None:
    text = configs.shipped_yaml(ConfigKind.SCORECARD).replace(
        "{lower: 0.55, upper: 0.7, score: 60}", "{lower: 0.56, upper: 0.7, score: 60}", 1
    )
    with pytest.raises(configs.InvalidConfig, match="debt_to_asset"):
        configs.import_version(session, ACTOR, kind=ConfigKind.SCORECARD, yaml_text=text)


def test_activating_an_unknown_version_is_not_found(session: Session) -> None:
    with pytest.raises(configs.ConfigVersionNotFound):
        configs.activate_version(session, ACTOR, kind=ConfigKind.SCORECARD, version=42)

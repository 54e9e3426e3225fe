"""Risk scores over REST: a customer's score and history, rescoring, what-if scores, stored
scorecards and grade scales, and the qualitative questionnaire (docs/risk.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from fengkong.api.deps import CallerLocale, DbSession, requires
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.config_versions import (
    ConfigImportIn,
    ConfigVersionList,
    ConfigVersionOut,
    ConfigVersionYamlOut,
)
from fengkong.risk import configs, service
from fengkong.risk.configs import ConfigKind
from fengkong.risk.schemas import (
    AssessmentIn,
    AssessmentList,
    AssessmentOut,
    HistoryEntryOut,
    HistoryOut,
    RiskOut,
    WhatIfIn,
)

router = APIRouter(tags=["risk"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.RISK_READ)]
Scorer = Annotated[Actor, writes(Permission.RISK_WRITE)]
Assessor = Annotated[Actor, writes(Permission.RISK_ASSESS)]


@router.get("/customers/{customer_id}/risk", response_model=RiskOut)
def get_risk(customer_id: int, session: DbSession, actor: Reader, locale: CallerLocale) -> RiskOut:
    """The customer's latest score with its factors and reasons; 404 if never scored."""
    return RiskOut.of(service.get_risk(session, actor, customer_id=customer_id), locale)


@router.post("/customers/{customer_id}/risk", response_model=RiskOut)
def rescore_customer(
    customer_id: int, session: DbSession, actor: Scorer, locale: CallerLocale
) -> RiskOut:
    """Score the customer now; a new history entry is stored only if its inputs changed."""
    return RiskOut.of(service.rescore_customer(session, actor, customer_id=customer_id), locale)


@router.get("/customers/{customer_id}/risk/history", response_model=HistoryOut)
def risk_history(
    customer_id: int,
    session: DbSession,
    actor: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 250,
) -> HistoryOut:
    """Stored scores, newest first."""
    entries = service.risk_history(session, actor, customer_id=customer_id, limit=limit)
    return HistoryOut(
        customer_id=customer_id, items=[HistoryEntryOut.of(entry) for entry in entries]
    )


@router.post("/score", response_model=RiskOut)
def what_if(data: WhatIfIn, session: DbSession, actor: Reader, locale: CallerLocale) -> RiskOut:
    """Score a what-if feature payload without storing anything."""
    result = service.what_if(
        session, actor, features=data.features, scorecard_version=data.model_version
    )
    return RiskOut.of(result, locale)


@router.get("/customers/{customer_id}/qualitative", response_model=AssessmentList)
def list_assessments(customer_id: int, session: DbSession, actor: Reader) -> AssessmentList:
    """The customer's questionnaire answers, latest first."""
    assessments = service.list_assessments(session, actor, customer_id=customer_id)
    return AssessmentList(items=[AssessmentOut.of(item) for item in assessments])


@router.post(
    "/customers/{customer_id}/qualitative",
    response_model=AssessmentOut,
    status_code=status.HTTP_201_CREATED,
)
def record_assessment(
    customer_id: int, data: AssessmentIn, session: DbSession, actor: Assessor
) -> AssessmentOut:
    """Answer one questionnaire question; the customer is rescored with the changed customers."""
    assessment = service.record_assessment(
        session,
        actor,
        customer_id=customer_id,
        question=data.question,
        answer=data.answer,
        evidence=data.evidence,
        assessed_on=data.assessed_on,
    )
    return AssessmentOut.of(assessment)


def _config_routes(kind: ConfigKind, path: str) -> None:
    """List, get (with the YAML), import and activate routes for one kind of configuration."""

    @router.get(f"/{path}", response_model=ConfigVersionList, name=f"list_{kind.value}s")
    def list_versions(session: DbSession, actor: Reader) -> ConfigVersionList:
        rows = configs.list_versions(session, actor, kind=kind)
        return ConfigVersionList(items=[ConfigVersionOut.of(row) for row in rows])

    @router.get(
        f"/{path}/{{version}}", response_model=ConfigVersionYamlOut, name=f"get_{kind.value}"
    )
    def get_version(version: int, session: DbSession, actor: Reader) -> ConfigVersionYamlOut:
        row = configs.get_version(session, actor, kind=kind, version=version)
        return ConfigVersionYamlOut.of(row)

    @router.post(
        f"/{path}",
        response_model=ConfigVersionOut,
        status_code=status.HTTP_201_CREATED,
        name=f"import_{kind.value}",
    )
    def import_version(data: ConfigImportIn, session: DbSession, actor: Scorer) -> ConfigVersionOut:
        row = configs.import_version(
            session, actor, kind=kind, yaml_text=data.yaml, note=data.note, activate=data.activate
        )
        return ConfigVersionOut.of(row)

    @router.post(
        f"/{path}/{{version}}/activate",
        response_model=ConfigVersionOut,
        name=f"activate_{kind.value}",
    )
    def activate_version(version: int, session: DbSession, actor: Scorer) -> ConfigVersionOut:
        return ConfigVersionOut.of(
            configs.activate_version(session, actor, kind=kind, version=version)
        )


_config_routes(ConfigKind.SCORECARD, "scorecards")
_config_routes(ConfigKind.GRADE_SCALE, "grade-scales")

"""Named users, one per role, so permission tests read like sentences."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from fengkong.access import regions
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.models import User
from fengkong.auth.roles import Role

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Persona:
    user: User
    actor: Actor
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Personas:
    adam_admin: Persona
    bob_manager: Persona
    alice_analyst: Persona
    sam_sales: Persona
    ada_auditor: Persona

    def all(self) -> list[Persona]:
        return [
            self.adam_admin,
            self.bob_manager,
            self.alice_analyst,
            self.sam_sales,
            self.ada_auditor,
        ]


# Sam sells in Shanghai: the factories register customers in 310000, so they are in his region
# unless a test puts them elsewhere or gives them an owner (tests/integration/access).
SAM_REGION = "31"


def _persona(
    session: Session, username: str, role: Role, *, region_code: str | None = None
) -> Persona:
    system = Actor.system("test")
    user, _ = auth_service.create_user(
        session, system, username=username, role=role, password=PASSWORD
    )
    if region_code is not None:
        user = regions.assign_region(session, system, username=username, region_code=region_code)
    token = auth_service.create_token(session, system, username=username, name="tests")
    return Persona(user=user, actor=auth_service.actor_for(user), token=token)


def create_personas(session: Session) -> Personas:
    return Personas(
        adam_admin=_persona(session, "adam_admin", Role.ADMIN),
        bob_manager=_persona(session, "bob_manager", Role.RISK_MANAGER),
        alice_analyst=_persona(session, "alice_analyst", Role.CREDIT_ANALYST),
        sam_sales=_persona(session, "sam_sales", Role.SALES, region_code=SAM_REGION),
        ada_auditor=_persona(session, "ada_auditor", Role.AUDITOR),
    )

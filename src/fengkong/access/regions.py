"""The region whose customers a user without ``customers:all`` sees besides their own."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.models import User
from fengkong.auth.roles import Permission
from fengkong.errors import ValidationFailed

# A province (2 digits), prefecture (4) or county (6) of the GB/T 2260 administrative divisions.
REGION_PATTERN = re.compile(r"^(?:\d{2}|\d{4}|\d{6})$")


def assign_region(
    session: Session, actor: Actor, *, username: str, region_code: str | None
) -> User:
    """Give ``username`` a region (``None`` takes it away: own customers only); audited as a
    change of the user row, since it widens or narrows what they may read."""
    auth_service.ensure_permission(actor, Permission.USERS_MANAGE)
    code = region_code.strip() if region_code is not None else None
    if code is not None and not REGION_PATTERN.fullmatch(code):
        raise ValidationFailed(
            "a region code is 2, 4 or 6 digits of an administrative division (e.g. 31, 3101)",
            details=[{"field": "region_code", "value": code}],
        )
    user = auth_service.get_user(session, username)
    user.region_code = code or None
    session.flush()
    return user

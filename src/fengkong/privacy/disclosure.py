"""What personal data a reader is shown, and the audit entry for every unmasked view.

The API schemas and the UI templates both take their personal fields from a ``Disclosure``, so
masking is decided in one place: an actor with ``pii:read`` sees plaintext and the view is
audited (one ``pii_view`` entry per response or page, naming the customers and fields); anyone
else sees the masked form and nothing is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.privacy.fields import ERASED, fields_of
from fengkong.privacy.masking import mask
from fengkong.recorders import record_action

PII_VIEW = "pii_view"
MAX_LISTED_IDS = 200
"""Customer ids named in one list view's audit entry; the count is always complete."""


@dataclass(slots=True)
class Disclosure:
    """What one response or page shows an actor; ``record`` writes its single audit entry."""

    actor: Actor
    fields: set[str] = field(default_factory=set)
    customers: set[int] = field(default_factory=set)

    def show(
        self, records: Sequence[Any], *, table: str, customer_attribute: str = "customer_id"
    ) -> list[dict[str, str | None]]:
        """The personal fields of each of ``records`` (rows of ``table``) as the actor may see
        them: plaintext with ``pii:read`` (noted for the audit), else masked."""
        unmasked = self.actor.can(Permission.PII_READ)
        shown: list[dict[str, str | None]] = []
        for record in records:
            values: dict[str, str | None] = {}
            for personal in fields_of(table):
                value = getattr(record, personal.column)
                erased = value is None or value == ERASED
                values[personal.column] = (
                    value if unmasked or erased else mask(personal.kind, value)
                )
                if unmasked and not erased:
                    self.fields.add(personal.context)
                    self.customers.add(int(getattr(record, customer_attribute)))
            shown.append(values)
        return shown

    def record(self, session: Session) -> None:
        if self.customers:
            _record_view(session, self.actor, sorted(self.fields), sorted(self.customers))


def disclose_customers(
    session: Session, actor: Actor, customers: Sequence[Any]
) -> list[dict[str, str | None]]:
    """Customers' personal fields for one response, audited once if shown in full."""
    disclosure = Disclosure(actor)
    shown = disclosure.show(customers, table="customers", customer_attribute="id")
    disclosure.record(session)
    return shown


def disclose_contacts(
    session: Session, actor: Actor, contacts: Sequence[Any]
) -> list[dict[str, str | None]]:
    """Contacts' personal fields for one response, audited once if shown in full."""
    disclosure = Disclosure(actor)
    shown = disclosure.show(contacts, table="customer_contacts")
    disclosure.record(session)
    return shown


def _record_view(session: Session, actor: Actor, fields: list[str], customers: list[int]) -> None:
    one = len(customers) == 1
    details: dict[str, Any] = {"fields": fields}
    if not one:
        details |= {"customers": len(customers), "customer_ids": customers[:MAX_LISTED_IDS]}
    record_action(
        session,
        action=PII_VIEW,
        entity_type="customers",
        entity_id=str(customers[0]) if one else "*",
        details=details,
        actor=actor,
    )

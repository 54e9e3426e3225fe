"""PIPL requests about a natural person: find them, export what is held, erase where allowed.

A person is found by exact ID number, phone, email or name through the blind indexes (the
values themselves are encrypted, so nothing else could match them). What is held about them:
the customers they are the legal representative of, the contact rows that are them, interaction
log entries of those customers that name them, and — PIPL Art. 24, the right to an explanation
of automated decisions — the risk scores and credit checks of those customers with their reason
codes. Erasure deletes the contact rows and replaces the legal representative's name and ID
number with a marker, unless a legal hold applies to the customer: one set by a person, open
receivables, or a legal event not yet resolved. Interaction entries are business records that
are never edited; the export lists them so a person can review them. Export and erasure are
each audited once, naming the request and the blind-index hash, never the person's data.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.credit_checks.models import CreditCheck
from fengkong.customers.models import Customer, CustomerContact, CustomerInteraction
from fengkong.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fengkong.kit.jsonable import to_jsonable
from fengkong.kit.time import utcnow
from fengkong.legal_events.models import LegalEvent
from fengkong.privacy.crypto import blind_index
from fengkong.privacy.fields import ERASED, PersonalKind
from fengkong.privacy.models import LegalHold
from fengkong.receivables.models import Invoice
from fengkong.receivables.status import InvoiceStatus
from fengkong.recorders import record_action
from fengkong.risk.models import RiskScore

DECISIONS_PER_CUSTOMER = 50
"""Most recent risk scores and credit checks exported per customer."""


class SubjectNotFound(NotFound):
    code = "subject_not_found"


class ErasureRefused(Conflict):
    code = "legal_hold"


class HoldNotFound(NotFound):
    code = "legal_hold_not_found"


@dataclass(frozen=True, slots=True)
class SubjectQuery:
    """Exactly one identifier of the person."""

    kind: PersonalKind
    value: str

    @property
    def fingerprint(self) -> str:
        """The blind-index hash: names the person in the audit log without revealing them."""
        index = blind_index(self.kind, self.value)
        if index is None:
            raise ValidationFailed("give a non-empty identifier")
        return index


@dataclass(slots=True)
class Subject:
    query: SubjectQuery
    represented: list[Customer] = field(default_factory=list)
    contacts: list[CustomerContact] = field(default_factory=list)

    @property
    def customer_ids(self) -> list[int]:
        ids = {customer.id for customer in self.represented}
        ids |= {contact.customer_id for contact in self.contacts}
        return sorted(ids)

    @property
    def names(self) -> set[str]:
        found = {c.legal_representative for c in self.represented if c.legal_representative}
        found |= {contact.name for contact in self.contacts}
        return {name for name in found if name != ERASED}


@dataclass(frozen=True, slots=True)
class ErasureResult:
    request_id: str
    contacts_deleted: int
    representatives_erased: list[int]
    held: dict[int, list[str]]


def find_subject(session: Session, actor: Actor, query: SubjectQuery) -> Subject:
    """The records that are this person, by blind index; 404 when nothing matches."""
    _require(actor, Permission.PIPL_MANAGE)
    index = query.fingerprint
    subject = Subject(query)
    if query.kind in (PersonalKind.NAME, PersonalKind.ID_NUMBER):
        column = (
            Customer.legal_representative_bidx
            if query.kind is PersonalKind.NAME
            else Customer.legal_representative_id_number_bidx
        )
        subject.represented = list(
            session.scalars(select(Customer).where(column == index).order_by(Customer.id))
        )
    contact_column = {
        PersonalKind.NAME: CustomerContact.name_bidx,
        PersonalKind.PHONE: CustomerContact.phone_bidx,
        PersonalKind.EMAIL: CustomerContact.email_bidx,
    }.get(query.kind)
    if contact_column is not None:
        subject.contacts = list(
            session.scalars(
                select(CustomerContact).where(contact_column == index).order_by(CustomerContact.id)
            )
        )
    if not subject.represented and not subject.contacts:
        raise SubjectNotFound("no personal data held for this identifier")
    return subject


def export_subject(session: Session, actor: Actor, query: SubjectQuery) -> dict[str, Any]:
    """Everything held about the person, as JSON-ready data; audited as ``pipl_export``."""
    subject = find_subject(session, actor, query)
    request_id = uuid.uuid4().hex
    customers = {
        customer.id: customer
        for customer in session.scalars(
            select(Customer).where(Customer.id.in_(subject.customer_ids))
        )
    }
    document = {
        "request_id": request_id,
        "generated_at": utcnow(),
        "found_by": query.kind.value,
        "legal_representative_of": [
            {
                **_company(customer),
                "legal_representative": customer.legal_representative,
                "legal_representative_id_number": customer.legal_representative_id_number,
            }
            for customer in subject.represented
        ],
        "contact_of": [
            {
                **_company(customers[contact.customer_id]),
                "name": contact.name,
                "title": contact.title,
                "phone": contact.phone,
                "email": contact.email,
                "is_primary": contact.is_primary,
                "recorded_at": contact.created_at,
            }
            for contact in subject.contacts
        ],
        "interactions_naming_them": _interactions(session, subject),
        "automated_decisions": [
            _decisions(session, customers[customer_id]) for customer_id in subject.customer_ids
        ],
    }
    record_action(
        session,
        action="pipl_export",
        entity_type="privacy_request",
        entity_id=request_id,
        details=_audit_details(subject, {}),
        actor=actor,
    )
    return to_jsonable(document)  # type: ignore[no-any-return]


def erase_subject(session: Session, actor: Actor, query: SubjectQuery) -> ErasureResult:
    """Delete the person's contact rows and erase them as legal representative, customer by
    customer, except where a legal hold applies; refused (409) when every customer is held."""
    subject = find_subject(session, actor, query)
    held = holds_of(session, subject.customer_ids)
    if held and all(customer_id in held for customer_id in subject.customer_ids):
        raise ErasureRefused(
            "a legal hold applies: " + "; ".join(_reasons(held)),
            details=[{"customer_id": key, "reasons": value} for key, value in held.items()],
        )
    request_id = uuid.uuid4().hex
    deleted = 0
    for contact in subject.contacts:
        if contact.customer_id not in held:
            session.delete(contact)
            deleted += 1
    erased: list[int] = []
    for customer in subject.represented:
        if customer.id not in held:
            customer.legal_representative = ERASED
            customer.legal_representative_id_number = None
            erased.append(customer.id)
    session.flush()
    record_action(
        session,
        action="pipl_erase",
        entity_type="privacy_request",
        entity_id=request_id,
        details=_audit_details(
            subject, {"contacts_deleted": deleted, "representatives_erased": erased, "held": held}
        ),
        actor=actor,
    )
    return ErasureResult(request_id, deleted, erased, held)


def holds_of(session: Session, customer_ids: Sequence[int]) -> dict[int, list[str]]:
    """Why each of these customers' personal data must be kept (customers without a reason are
    left out): holds set by people, open receivables, unresolved legal events."""
    reasons: dict[int, list[str]] = {}
    set_holds = session.scalars(
        select(LegalHold)
        .where(LegalHold.customer_id.in_(customer_ids), LegalHold.released_at.is_(None))
        .order_by(LegalHold.id)
    )
    for hold in set_holds:
        reasons.setdefault(hold.customer_id, []).append(f"legal hold #{hold.id}: {hold.reason}")
    open_receivables = session.execute(
        select(Invoice.customer_id)
        .where(
            Invoice.customer_id.in_(customer_ids),
            Invoice.status == InvoiceStatus.OPEN,
            Invoice.outstanding_minor > 0,
        )
        .distinct()
    )
    for (customer_id,) in open_receivables:
        reasons.setdefault(customer_id, []).append("open receivables")
    legal_events = session.execute(
        select(LegalEvent.customer_id)
        .where(
            LegalEvent.customer_id.in_(customer_ids),
            LegalEvent.resolved_on.is_(None),
            LegalEvent.archived_at.is_(None),
        )
        .distinct()
    )
    for (customer_id,) in legal_events:
        reasons.setdefault(customer_id, []).append("an unresolved legal event")
    return reasons


def set_hold(session: Session, actor: Actor, *, customer_id: int, reason: str) -> LegalHold:
    _require(actor, Permission.RISK_WRITE)
    if session.get(Customer, customer_id) is None:
        raise NotFound(f"no customer with id {customer_id}")
    text = reason.strip()
    if not text:
        raise ValidationFailed("a legal hold needs a reason")
    hold = LegalHold(customer_id=customer_id, reason=text[:300], set_by=actor.username)
    session.add(hold)
    session.flush()
    return hold


def release_hold(session: Session, actor: Actor, hold_id: int) -> LegalHold:
    _require(actor, Permission.RISK_WRITE)
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise HoldNotFound(f"no legal hold with id {hold_id}")
    if hold.released_at is None:
        hold.released_at = utcnow()
        hold.released_by = actor.username
        session.flush()
    return hold


def list_holds(
    session: Session, actor: Actor, *, customer_id: int | None = None, active: bool = True
) -> list[LegalHold]:
    _require(actor, Permission.RISK_WRITE)
    statement = select(LegalHold).order_by(LegalHold.id)
    if customer_id is not None:
        statement = statement.where(LegalHold.customer_id == customer_id)
    if active:
        statement = statement.where(LegalHold.released_at.is_(None))
    return list(session.scalars(statement))


def _require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"this needs the {permission.value} permission")


def _company(customer: Customer) -> dict[str, Any]:
    return {"customer_id": customer.id, "customer_name": customer.name, "uscc": customer.uscc}


def _interactions(session: Session, subject: Subject) -> list[dict[str, Any]]:
    names = sorted(subject.names)
    if not names or not subject.customer_ids:
        return []
    entries = session.scalars(
        select(CustomerInteraction)
        .where(
            CustomerInteraction.customer_id.in_(subject.customer_ids),
            or_(*(CustomerInteraction.summary.contains(name, autoescape=True) for name in names)),
        )
        .order_by(CustomerInteraction.occurred_at)
    )
    return [
        {
            "customer_id": entry.customer_id,
            "kind": entry.kind,
            "occurred_at": entry.occurred_at,
            "summary": entry.summary,
            "author": entry.author,
        }
        for entry in entries
    ]


def _decisions(session: Session, customer: Customer) -> dict[str, Any]:
    """PIPL Art. 24: the automated decisions about the customer, each with its reason codes."""
    scores = session.scalars(
        select(RiskScore)
        .where(RiskScore.customer_id == customer.id)
        .order_by(RiskScore.id.desc())
        .limit(DECISIONS_PER_CUSTOMER)
    )
    checks = session.scalars(
        select(CreditCheck)
        .where(CreditCheck.customer_id == customer.id)
        .order_by(CreditCheck.id.desc())
        .limit(DECISIONS_PER_CUSTOMER)
    )
    return {
        **_company(customer),
        "risk_scores": [
            {
                "as_of": score.as_of,
                "score": score.score,
                "grade": score.grade,
                "probability_of_default": score.pd,
                "knocked_out_by": score.knocked_out_by,
                "reasons": score.reasons,
            }
            for score in scores
        ],
        "credit_checks": [
            {
                "checked_at": check.checked_at,
                "order_number": check.order_number,
                "decision": check.decision,
                "reasons": check.reasons,
            }
            for check in checks
        ],
    }


def _reasons(held: dict[int, list[str]]) -> list[str]:
    return [f"customer {key}: {', '.join(value)}" for key, value in sorted(held.items())]


def _audit_details(subject: Subject, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "found_by": subject.query.kind.value,
        "subject": subject.query.fingerprint,
        "customers": subject.customer_ids,
        "contacts": len(subject.contacts),
        **extra,
    }

"""Registry answers verify the customer's USCC and link related parties."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.connectors import service
from fengkong.connectors.models import DataKind, PullOutcome
from fengkong.connectors.providers import Key, RegistryRecord, RelatedLink
from fengkong.customers.models import Customer, RelatedParty
from fengkong.customers.status import RelationType, USCCVerification
from fengkong.kit.money import Money
from fengkong.kit.provenance import DataSource
from fengkong.kit.time import utcnow
from tests import factories
from tests.factories import make_uscc
from tests.integration.connectors.conftest import Scripted, config

ACTOR = Actor.system("test")
REGISTRY = (DataKind.REGISTRY,)


def record(customer: Customer, name: str | None = None, **fields: Any) -> RegistryRecord:
    registered = name or customer.name
    return RegistryRecord(
        key=Key(name=registered, uscc=customer.uscc),
        registered_name=registered,
        **fields,
    )


def pull_registry(session: Session, customer: Customer, *providers: Scripted) -> service.KindResult:
    (result,) = service.pull(
        session,
        ACTOR,
        customer_id=customer.id,
        kinds=REGISTRY,
        force=True,
        config=config(*providers),
    ).results
    return result


def links(session: Session, customer: Customer) -> list[tuple[int, RelationType, bool]]:
    rows = session.scalars(
        select(RelatedParty)
        .where(RelatedParty.customer_id == customer.id)
        .order_by(RelatedParty.id)
    )
    return [(row.related_customer_id, row.relation_type, row.verified) for row in rows]


def test_a_matching_name_verifies_the_uscc_whatever_the_bracket_width(session: Session) -> None:
    customer = factories.customer(name="上海测试（中国）贸易有限公司")
    before = utcnow()
    result = pull_registry(
        session,
        customer,
        Scripted("registry", registry=[record(customer, "上海测试(中国)贸易 有限公司")]),
    )
    assert result.verification is USCCVerification.VERIFIED
    assert customer.uscc_verification is USCCVerification.VERIFIED
    assert customer.uscc_verified_at is not None
    assert customer.uscc_verified_at >= before
    assert customer.uscc_verification_note is None
    assert customer.source is DataSource.CONNECTOR


def test_a_verified_record_fills_only_the_fields_we_lack(session: Session) -> None:
    customer = factories.customer(
        legal_representative=None, registered_capital=None, region_code=None, industry_code="F51"
    )
    answer = record(
        customer,
        legal_representative="李四",
        registered_capital=Money.of("8000000", "CNY"),
        established_on=date(1999, 1, 1),
        industry_code="C39",
        region_code="ZZ9999",
    )
    result = pull_registry(session, customer, Scripted("registry", registry=[answer]))
    assert result.filled_fields == ("legal_representative", "registered_capital")
    assert customer.legal_representative == "李四"
    assert customer.registered_capital == Money.of("8000000", "CNY")
    assert customer.established_on == date(2010, 5, 20)  # ours, kept
    assert customer.industry_code == "F51"
    assert customer.region_code is None  # the registry's code is not a GB/T 2260 code


def test_another_registered_name_is_a_mismatch_with_a_note(session: Session) -> None:
    customer = factories.customer(
        uscc_verification=USCCVerification.VERIFIED, uscc_verified_at=utcnow()
    )
    parent = factories.customer()
    answer = record(
        customer,
        "完全不同实业有限公司",
        legal_representative="王五",
        related=(RelatedLink(Key(parent.name, parent.uscc), RelationType.PARENT),),
    )
    result = pull_registry(session, customer, Scripted("registry", registry=[answer]))
    assert result.verification is USCCVerification.MISMATCH
    assert result.skipped == 1
    assert customer.uscc_verification is USCCVerification.MISMATCH
    assert customer.uscc_verified_at is None
    assert customer.uscc_verification_note == (
        "The registry (registry) lists this USCC under another name: 完全不同实业有限公司"
    )
    assert customer.legal_representative == "张三"
    assert links(session, customer) == []


def test_notes_are_written_in_the_deployments_language(session: Session) -> None:
    customer = factories.customer()
    chinese = replace(config(Scripted("registry")), locale="zh_CN")
    service.pull(session, ACTOR, customer_id=customer.id, kinds=REGISTRY, config=chinese)
    assert customer.uscc_verification_note == "工商登记（registry）中未查到该统一社会信用代码。"


def test_a_uscc_no_registry_knows_stays_unverified_with_a_note(session: Session) -> None:
    customer = factories.customer()
    result = pull_registry(session, customer, Scripted("registry"), Scripted("backup"))
    assert result.outcome is PullOutcome.NOT_FOUND
    assert result.verification is USCCVerification.UNVERIFIED
    assert customer.uscc_verification is USCCVerification.UNVERIFIED
    assert (
        customer.uscc_verification_note
        == "The USCC was not found in the registry (registry, backup)."
    )


def test_one_registrys_silence_does_not_undo_a_verification(session: Session) -> None:
    customer = factories.customer(uscc_verification=USCCVerification.VERIFIED)
    pull_registry(session, customer, Scripted("registry"))
    assert customer.uscc_verification is USCCVerification.VERIFIED
    assert customer.uscc_verification_note is None


def test_a_record_registered_under_another_uscc_does_not_count(session: Session) -> None:
    customer = factories.customer()
    stranger = RegistryRecord(Key(customer.name, make_uscc(999)), customer.name)
    result = pull_registry(session, customer, Scripted("registry", registry=[stranger]))
    assert result.outcome is PullOutcome.NOT_FOUND
    assert customer.uscc_verification is USCCVerification.UNVERIFIED


def test_related_parties_link_by_uscc_verified_and_by_name_unverified(session: Session) -> None:
    customer = factories.customer()
    subsidiary = factories.customer()
    parent = factories.customer(name="上海测试集团有限公司")
    answer = record(
        customer,
        related=(
            RelatedLink(Key("子公司", subsidiary.uscc), RelationType.SUBSIDIARY, Decimal("1")),
            RelatedLink(Key("上海测试集团 有限公司"), RelationType.PARENT, Decimal("0.6")),
            RelatedLink(Key("不是客户的公司"), RelationType.GUARANTOR),
            RelatedLink(Key("不是客户", make_uscc(4242)), RelationType.GUARANTOR),
            RelatedLink(Key(customer.name, customer.uscc), RelationType.GUARANTOR),
        ),
    )
    result = pull_registry(session, customer, Scripted("registry", registry=[answer]))
    assert (result.created, result.skipped, result.unverified) == (2, 3, 1)
    assert links(session, customer) == [
        (subsidiary.id, RelationType.SUBSIDIARY, True),
        (parent.id, RelationType.PARENT, False),
    ]
    stored = session.scalars(
        select(RelatedParty).where(RelatedParty.customer_id == customer.id)
    ).all()
    assert {row.source_ref for row in stored} == {"registry"}
    assert stored[1].ownership_share == Decimal("0.6")


def test_a_name_two_customers_share_links_to_neither(session: Session) -> None:
    customer = factories.customer()
    factories.customer(name="同名有限公司")
    factories.customer(name="同名有限公司")
    answer = record(customer, related=(RelatedLink(Key("同名有限公司"), RelationType.PARENT),))
    result = pull_registry(session, customer, Scripted("registry", registry=[answer]))
    assert result.skipped == 1
    assert links(session, customer) == []


def test_a_link_first_seen_by_name_becomes_verified_when_matched_on_uscc(session: Session) -> None:
    customer = factories.customer()
    parent = factories.customer(name="上海测试集团有限公司")
    by_name = record(customer, related=(RelatedLink(Key(parent.name), RelationType.PARENT),))
    by_uscc = record(
        customer, related=(RelatedLink(Key(parent.name, parent.uscc), RelationType.PARENT),)
    )
    provider = Scripted("registry", registry=[by_name])
    pull_registry(session, customer, provider)
    assert links(session, customer) == [(parent.id, RelationType.PARENT, False)]
    provider.registry = [by_uscc]
    pull_registry(session, customer, provider)
    assert links(session, customer) == [(parent.id, RelationType.PARENT, True)]
    provider.registry = [by_name]
    pull_registry(session, customer, provider)
    assert links(session, customer) == [(parent.id, RelationType.PARENT, True)]

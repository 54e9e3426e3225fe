"""The sandbox provider: invented but deterministic answers, for the demo and for tests.

Every answer is a function of the USCC (hashed), the subject's name and ``today``, so the same
customer always gets the same report, registry record and court records, and nothing leaves the
machine. The mix is chosen to exercise everything downstream (see docs/connectors.md): some USCCs
are unknown, a few registry names disagree with ours, some related parties and court records are
matched by name only, and some reports are older than the data-quality thresholds.

Never configure it for real customers: its data is made up. Its agency is called 沙箱评级 and
every summary says it is sandbox data, so it cannot be mistaken for an agency's.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from fengkong.connectors.models import DataKind
from fengkong.connectors.providers import (
    AgencyReport,
    Answer,
    CourtRecord,
    Key,
    RegistryRecord,
    RelatedLink,
    Subject,
)
from fengkong.customers.status import RelationType
from fengkong.customers.uscc import check_digit
from fengkong.kit.money import Money
from fengkong.legal_events.kinds import LegalEventType

AGENCY = "沙箱评级"
PRICES: dict[DataKind, Money] = {
    DataKind.AGENCY_REPORT: Money.of("30.00", "CNY"),
    DataKind.REGISTRY: Money.of("2.00", "CNY"),
    DataKind.COURT: Money.of("5.00", "CNY"),
}
RATINGS = (
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-",
    "BB+", "BB", "BB-", "B", "CCC", "CC", "C",
)  # fmt: skip
# Names the registry gives for a USCC whose name disagrees with ours (a typo'd or reused USCC).
OTHER_COMPANIES = (
    "沙箱示范科技有限公司",
    "演示数据服务有限公司",
    "样例国际贸易有限公司",
    "测试实业发展有限公司",
)
REPRESENTATIVES = ("王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆")
# Reports go back about fifteen months, so about one in five is older than twelve.
REPORT_AGE_DAYS = 450
EVENT_AGE_DAYS = 700
_GROUP = "集团有限公司"

R = TypeVar("R")


def draw(kind: DataKind, uscc: str) -> int:
    """A stable 64-bit number for the USCC and kind: the sandbox's only source of variety."""
    digest = hashlib.sha256(f"fengkong-sandbox/{kind.value}/{uscc}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _other_width(name: str) -> str:
    """The name with brackets of the other width, as registries and our users mix them."""
    if "（" in name or "）" in name:
        return name.replace("（", "(").replace("）", ")")
    return name.replace("(", "（").replace(")", "）")


def subsidiary_uscc(subject_uscc: str) -> str:
    """The USCC the sandbox registry gives the subsidiary it lists for ``subject_uscc``."""
    serial = draw(DataKind.REGISTRY, subject_uscc) % 10**7
    body = f"91{subject_uscc[2:8]}XB{serial:07d}"
    return body + check_digit(body)


def group_name(subject_name: str) -> str | None:
    """The group a name-only link points to: the first four characters (place and trade name, in
    the usual Chinese naming pattern) plus 集团有限公司 — a guess from a shared trade name, the way
    aggregators mis-link companies."""
    if len(subject_name) < 8 or subject_name.endswith(_GROUP):
        return None
    return subject_name[:4] + _GROUP


class SandboxProvider:
    """Answers every kind; charges ``PRICES`` per call, found or not, as agencies do."""

    def __init__(self, *, today: date, name: str = "sandbox") -> None:
        self.today = today
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def agency_reports(self, subject: Subject) -> Answer[AgencyReport]:
        kind = DataKind.AGENCY_REPORT
        h = draw(kind, subject.uscc)
        if h % 10 == 0:
            return self._not_found(kind)
        score = 20 + (h >> 8) % 800 / 10
        rating = RATINGS[min(len(RATINGS) - 1, int((100 - score) / 100 * len(RATINGS)))]
        report_date = self.today - timedelta(days=(h >> 20) % REPORT_AGE_DAYS)
        report = AgencyReport(
            key=Key(name=subject.name, uscc=subject.uscc),
            agency=AGENCY,
            report_date=report_date,
            rating=rating,
            score=score,
            valid_until=report_date + timedelta(days=365),
            summary=f"沙箱数据，仅供演示：评级{rating}，评分{score:.1f}。",
        )
        return self._found(kind, (report,))

    def registry_record(self, subject: Subject) -> Answer[RegistryRecord]:
        kind = DataKind.REGISTRY
        h = draw(kind, subject.uscc)
        bucket = h % 20
        if bucket == 0:
            return self._not_found(kind)
        if bucket == 1:
            registered_name = OTHER_COMPANIES[(h >> 8) % len(OTHER_COMPANIES)]
        elif (h >> 8) % 3 == 0:
            registered_name = _other_width(subject.name)
        else:
            registered_name = subject.name
        record = RegistryRecord(
            key=Key(name=registered_name, uscc=subject.uscc),
            registered_name=registered_name,
            legal_representative=subject.legal_representative
            or REPRESENTATIVES[(h >> 12) % len(REPRESENTATIVES)],
            registered_capital=Money(Decimal(((h >> 16) % 500 + 1) * 100_000), "CNY"),
            established_on=min(date(1995, 1, 1) + timedelta(days=(h >> 24) % 10_000), self.today),
            status="吊销" if (h >> 40) % 25 == 0 else "存续",
            region_code=subject.uscc[2:8],
            related=self._related(subject, h),
        )
        return self._found(kind, (record,))

    @staticmethod
    def _related(subject: Subject, h: int) -> tuple[RelatedLink, ...]:
        bucket = (h >> 32) % 8
        group = group_name(subject.name)
        if bucket == 0 and group is not None:
            return (
                RelatedLink(
                    key=Key(name=group),
                    relation_type=RelationType.PARENT,
                    ownership_share=Decimal("0.6"),
                ),
            )
        if bucket == 1:
            return (
                RelatedLink(
                    key=Key(
                        name=f"{subject.name[:4]}沙箱子公司", uscc=subsidiary_uscc(subject.uscc)
                    ),
                    relation_type=RelationType.SUBSIDIARY,
                    ownership_share=Decimal("1"),
                ),
            )
        return ()

    def court_records(self, subject: Subject) -> Answer[CourtRecord]:
        kind = DataKind.COURT
        h = draw(kind, subject.uscc)
        bucket = h % 12
        occurred_on = self.today - timedelta(days=(h >> 8) % EVENT_AGE_DAYS)
        amount = Money(Decimal((h >> 20) % 5_000 * 1_000 + 10_000), "CNY")
        serial = (h >> 36) % 9_000 + 1_000
        year = occurred_on.year
        by_uscc = Key(name=subject.name, uscc=subject.uscc)
        records: tuple[CourtRecord, ...] = ()
        if bucket == 0:
            enforced = CourtRecord(
                key=by_uscc,
                event_type=LegalEventType.ENFORCEMENT,
                occurred_on=occurred_on,
                case_number=f"({year})沪0115执{serial}号",
                authority="沙箱人民法院",
                amount=amount,
                description="沙箱数据：被执行人",
            )
            listed_on = min(occurred_on + timedelta(days=60), self.today)
            dishonest = CourtRecord(
                key=by_uscc,
                event_type=LegalEventType.DISHONEST_DEBTOR,
                occurred_on=listed_on,
                case_number=f"({year})沪0115执{serial}号",
                authority="沙箱人民法院",
                amount=amount,
                description="沙箱数据：失信被执行人",
            )
            records = (enforced, dishonest)
        elif bucket in (1, 2):
            records = (
                CourtRecord(
                    key=by_uscc,
                    event_type=LegalEventType.LAWSUIT,
                    occurred_on=occurred_on,
                    case_number=f"({year})沪0115民初{serial}号",
                    authority="沙箱人民法院",
                    amount=amount,
                    description="沙箱数据：买卖合同纠纷",
                ),
            )
        elif bucket == 3:
            records = (
                CourtRecord(
                    key=Key(name=subject.name),
                    event_type=LegalEventType.ENFORCEMENT,
                    occurred_on=occurred_on,
                    case_number=f"({year})京0105执{serial}号",
                    authority="沙箱人民法院",
                    amount=amount,
                    description="沙箱数据：按名称匹配的被执行人，可能是同名企业",
                ),
            )
        return self._found(kind, records)

    def _found(self, kind: DataKind, records: tuple[R, ...]) -> Answer[R]:
        return Answer(found=True, reference=self.name, records=records, cost=PRICES[kind])

    def _not_found(self, kind: DataKind) -> Answer[Any]:
        return Answer(found=False, reference=self.name, cost=PRICES[kind])

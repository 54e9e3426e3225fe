"""What the exposure service answers: frozen dataclasses, amounts in integer minor units of the
credit currency. Kept apart from the service so the API shapes can import them too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from fengkong.exposure.loss import SecuredPart

CREDIT_CURRENCY = "CNY"
"""The currency exposure is measured in; amounts in others are converted with ``fx_rates`` or,
without a rate, reported in ``unconverted`` and left out."""


@dataclass(frozen=True, slots=True)
class CreditExposure:
    """The few numbers the order credit check needs, read in two small aggregate queries.

    The overdue figures come twice: over everything overdue, and without the parts under an
    open dispute (``*_undisputed``), which the credit check's overdue rules use.
    """

    customer_id: int
    as_of: date
    currency: str
    open_receivables: int
    open_orders: int
    overdue: int
    overdue_weighted: int
    """Σ overdue amount × days past due (minor-unit days)."""
    oldest_days_past_due: int
    disputed: int
    unapplied_payments: int
    overdue_undisputed: int
    overdue_weighted_undisputed: int
    oldest_days_past_due_undisputed: int
    unconverted: dict[str, int] = field(default_factory=dict)

    @property
    def exposure(self) -> int:
        """Receivables + open orders − unapplied cash, never below zero: what a limit is used
        by (contract commitments are not drawn yet)."""
        return max(0, self.open_receivables + self.open_orders - self.unapplied_payments)


@dataclass(frozen=True, slots=True)
class CustomerExposure:
    customer_id: int
    as_of: date
    currency: str
    receivables_by_bucket: dict[str, int]
    open_receivables: int
    overdue: int
    overdue_weighted: int
    oldest_days_past_due: int
    disputed: int
    unapplied_payments: int
    open_orders: int
    contract_commitments: int
    gross_exposure: int
    mitigation: int
    net_exposure: int
    ead: int
    lgd: float
    industry_lgd: float
    commitment_ccf: float
    pd: float | None
    grade: str | None
    expected_loss: int | None
    """``None`` while the customer is unrated (no PD)."""
    secured: tuple[SecuredPart, ...]
    unsecured: int
    config_name: str
    config_sha256: str
    unconverted: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupMember:
    customer_id: int
    name: str
    exposure: CustomerExposure


@dataclass(frozen=True, slots=True)
class GroupExposure:
    """A customer and every customer linked to it through related parties, directly or not."""

    customer_id: int
    as_of: date
    currency: str
    members: tuple[GroupMember, ...]
    gross_exposure: int
    mitigation: int
    net_exposure: int
    ead: int
    expected_loss: int
    """Over the rated members; ``unrated_ead`` is the EAD of the others."""
    unrated_ead: int
    unconverted: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Breakdown:
    key: str
    customers: int
    gross_exposure: int
    net_exposure: int
    ead: int
    expected_loss: int
    unrated_ead: int


@dataclass(frozen=True, slots=True)
class Ranked:
    key: int
    name: str
    net_exposure: int
    share: float
    members: int = 1


@dataclass(frozen=True, slots=True)
class PortfolioExposure:
    as_of: date
    currency: str
    customers: int
    """Customers with any exposure."""
    receivables_by_bucket: dict[str, int]
    open_receivables: int
    open_orders: int
    contract_commitments: int
    gross_exposure: int
    mitigation: int
    net_exposure: int
    ead: int
    expected_loss: int
    unrated_ead: int
    by_grade: tuple[Breakdown, ...]
    by_industry: tuple[Breakdown, ...]
    by_region: tuple[Breakdown, ...]
    top_share: float
    herfindahl: float
    top: tuple[Ranked, ...]
    group_top_share: float
    group_herfindahl: float
    top_groups: tuple[Ranked, ...]
    config_sha256: str
    unconverted: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LossRanked:
    """A customer among the largest expected losses."""

    customer_id: int
    name: str
    grade: str
    pd: float
    ead: int
    expected_loss: int


@dataclass(frozen=True, slots=True)
class PortfolioSummary:
    """The portfolio as the exposure snapshots hold it (``refresh_exposures``): what the
    dashboard shows, read in a few aggregate queries however large the book. Expected loss uses
    each customer's current PD."""

    currency: str
    as_of: date | None
    """The oldest ageing date among the snapshots (``None`` while none has been computed)."""
    computed_at: datetime | None
    """When the latest snapshot was computed."""
    customers: int
    """Customers with any exposure."""
    not_computed: int
    """Customers (not archived) with no snapshot yet: not in these figures."""
    receivables_by_bucket: dict[str, int]
    open_receivables: int
    overdue: int
    gross_exposure: int
    net_exposure: int
    ead: int
    expected_loss: int
    unrated_ead: int
    by_grade: tuple[Breakdown, ...]
    by_industry: tuple[Breakdown, ...]
    by_region: tuple[Breakdown, ...]
    top_share: float
    herfindahl: float
    largest_losses: tuple[LossRanked, ...]

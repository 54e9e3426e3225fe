"""What each kind of file holds: its columns (English and Chinese headers, types, rules), the table
it fills, the natural key it is matched on and the records it refers to. Pure declarations; the
reader, the validator, the writer and the templates all work from these."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from fengkong.auth.roles import Permission
from fengkong.customers.status import RelationType
from fengkong.financials.checks import NON_NEGATIVE_LINES
from fengkong.imports import problems
from fengkong.imports.problems import Problem
from fengkong.legal_events.kinds import LegalEventType


class ImportKind(StrEnum):
    CUSTOMERS = "customers"
    RELATED_PARTIES = "related_parties"
    FINANCIAL_STATEMENTS = "financial_statements"
    INVOICES = "invoices"
    PAYMENTS = "payments"
    ORDERS = "orders"
    CONTRACTS = "contracts"
    CREDIT_REPORTS = "credit_reports"
    LEGAL_EVENTS = "legal_events"


class ColumnType(StrEnum):
    TEXT = "text"
    USCC = "uscc"
    DATE = "date"
    AMOUNT = "amount"
    """Money in the row's currency, stored as integer minor units."""
    CURRENCY = "currency"
    INTEGER = "integer"
    SHARE = "share"
    """A fraction above 0 and at most 1, or a percentage (51%)."""
    NUMBER = "number"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    INDUSTRY = "industry"
    REGION = "region"
    RESIDENT_ID = "resident_id"
    """A PRC resident ID number: personal data, encrypted when written, masked in problems."""


class Sign(StrEnum):
    ANY = "any"
    NON_NEGATIVE = "non_negative"
    POSITIVE = "positive"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    """The English header, and the column's name everywhere in the import."""
    chinese: str
    """The Chinese header (what zh_CN templates show)."""
    type: ColumnType
    target: str | None = None
    """The target table's column this fills; ``None`` for a reference to another record."""
    aliases: tuple[str, ...] = ()
    required: bool = False
    max_length: int | None = None
    sign: Sign = Sign.ANY
    choices: Mapping[str, str] = field(default_factory=dict)
    """Accepted spellings (lower case) → stored value, for CHOICE columns."""
    allowed: tuple[int, ...] = ()
    """The only values an INTEGER column may take, when restricted."""
    key_default: str | int | None = None
    """Value an empty cell of a natural-key column stands for (so it can still be matched)."""
    not_in_future: bool = False
    currency_of: str | None = None
    """For a CURRENCY column that only goes with one amount (stored only when that is given)."""

    @property
    def staged(self) -> str:
        """The column's name in the staging table: the target column's, else its own."""
        return self.target or self.name

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.name, self.chinese, *self.aliases)


@dataclass(frozen=True, slots=True)
class Reference:
    """A file column naming another record by its natural key (a USCC, an invoice number)."""

    column: str
    table: str
    key: str
    provides: Mapping[str, str]
    """Target-table column → column of the referenced row it is filled from."""
    problem: Problem
    same_customer: bool = False
    """The referenced record must belong to the row's customer (an invoice's order)."""


@dataclass(frozen=True, slots=True)
class DateOrder:
    """``later`` may not be before ``earlier`` (both optional; checked when both are given)."""

    earlier: str
    later: str
    problem: Problem


@dataclass(frozen=True, slots=True)
class Distinct:
    first: str
    second: str
    problem: Problem


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    """Assets equal liabilities plus equity within ``fengkong.financials.checks`` tolerance."""


@dataclass(frozen=True, slots=True)
class AnyAmount:
    """At least one amount column of the row has a value."""

    problem: Problem


Rule = DateOrder | Distinct | BalanceSheet | AnyAmount


@dataclass(frozen=True, slots=True)
class Kind:
    name: ImportKind
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    """Target-table columns that identify a record (after references are resolved)."""
    file_key: tuple[str, ...]
    """Staged columns that identify a record within one file (before resolution)."""
    references: tuple[Reference, ...]
    read_permission: Permission
    write_permission: Permission
    lock: str
    """Imports sharing a lock write one at a time (payments change invoices, so they share)."""
    new_row_values: Mapping[str, object] = field(default_factory=dict)
    """Values of new rows where the file gives none (status, verified); updates keep theirs."""
    rules: tuple[Rule, ...] = ()
    label: tuple[str, ...] = ()
    """Target columns that name a record in event payloads (default: the key)."""

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.label or self.key

    @property
    def event_type(self) -> str:
        return f"{self.name}_imported"


def header_token(header: str) -> str:
    """How headers are compared: NFKC (full-width → half-width), no BOM, case and spacing
    ignored, so ``Invoice Number``, ``invoice_number`` and a full-width spelling agree."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "").strip().lower()
    for separator in (" ", "-", "\t"):
        text = text.replace(separator, "_")
    while "__" in text:
        text = text.replace("__", "_")
    return text


def _customer_uscc(*aliases: str, required: bool = True) -> Column:
    return Column(
        "customer_uscc",
        "统一社会信用代码",
        ColumnType.USCC,
        aliases=("客户统一社会信用代码", "uscc", *aliases),
        required=required,
    )


def _currency(currency_of: str | None = None, target: str = "currency") -> Column:
    return Column(
        "currency", "币种", ColumnType.CURRENCY, target=target, aliases=("货币",),
        currency_of=currency_of,
    )  # fmt: skip


_CUSTOMER_REFERENCE = Reference(
    "customer_uscc", "customers", "uscc", {"customer_id": "id"}, problems.UNKNOWN_CUSTOMER
)

_RELATION_CHOICES: Mapping[str, str] = {
    "parent": RelationType.PARENT,
    "母公司": RelationType.PARENT,
    "控股股东": RelationType.PARENT,
    "subsidiary": RelationType.SUBSIDIARY,
    "子公司": RelationType.SUBSIDIARY,
    "same_legal_representative": RelationType.SAME_LEGAL_REPRESENTATIVE,
    "同一法定代表人": RelationType.SAME_LEGAL_REPRESENTATIVE,
    "guarantor": RelationType.GUARANTOR,
    "担保人": RelationType.GUARANTOR,
    "担保方": RelationType.GUARANTOR,
}

_LEGAL_EVENT_CHOICES: Mapping[str, str] = {
    "lawsuit": LegalEventType.LAWSUIT,
    "诉讼": LegalEventType.LAWSUIT,
    "judgment": LegalEventType.JUDGMENT,
    "判决": LegalEventType.JUDGMENT,
    "enforcement": LegalEventType.ENFORCEMENT,
    "被执行人": LegalEventType.ENFORCEMENT,
    "dishonest_debtor": LegalEventType.DISHONEST_DEBTOR,
    "失信被执行人": LegalEventType.DISHONEST_DEBTOR,
    "asset_freeze": LegalEventType.ASSET_FREEZE,
    "资产冻结": LegalEventType.ASSET_FREEZE,
    "administrative_penalty": LegalEventType.ADMINISTRATIVE_PENALTY,
    "行政处罚": LegalEventType.ADMINISTRATIVE_PENALTY,
    "bankruptcy": LegalEventType.BANKRUPTCY,
    "破产": LegalEventType.BANKRUPTCY,
}

_STATEMENT_LINES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("total_assets", "资产总计", ("资产合计", "总资产")),
    ("current_assets", "流动资产合计", ()),
    ("cash", "货币资金", ()),
    ("accounts_receivable", "应收账款", ()),
    ("inventory", "存货", ()),
    ("total_liabilities", "负债合计", ("负债总计", "总负债")),
    ("current_liabilities", "流动负债合计", ()),
    ("total_equity", "所有者权益合计", ("股东权益合计", "所有者权益（或股东权益）合计")),
    ("revenue", "营业收入", ("营业总收入",)),
    ("net_profit", "净利润", ()),
    ("interest_expense", "利息费用", ("利息支出",)),
    ("operating_cash_flow", "经营活动产生的现金流量净额", ()),
)

CUSTOMERS = Kind(
    name=ImportKind.CUSTOMERS,
    table="customers",
    columns=(
        Column("uscc", "统一社会信用代码", ColumnType.USCC, target="uscc", required=True),
        Column(
            "name", "客户名称", ColumnType.TEXT, target="name",
            aliases=("企业名称", "公司名称"), required=True, max_length=200,
        ),
        Column("name_en", "英文名称", ColumnType.TEXT, target="name_en", max_length=200),
        Column(
            "industry", "行业", ColumnType.INDUSTRY, target="industry_code",
            aliases=("industry_code", "行业代码"),
        ),
        Column(
            "region", "地区", ColumnType.REGION, target="region_code",
            aliases=("region_code", "地区代码", "行政区划代码"),
        ),
        Column(
            "registered_capital", "注册资本", ColumnType.AMOUNT,
            target="registered_capital_minor", sign=Sign.NON_NEGATIVE,
        ),
        _currency(currency_of="registered_capital", target="registered_capital_currency"),
        Column(
            "established_on", "成立日期", ColumnType.DATE, target="established_on",
            not_in_future=True,
        ),
        Column(
            "legal_representative", "法定代表人", ColumnType.TEXT,
            target="legal_representative", max_length=100,
        ),
        Column(
            "legal_representative_id_number", "法定代表人身份证号码", ColumnType.RESIDENT_ID,
            target="legal_representative_id_number",
            aliases=("legal_representative_id", "法定代表人身份证号", "法人身份证号"),
        ),
        Column(
            "address", "地址", ColumnType.TEXT, target="address", aliases=("注册地址",),
            max_length=300,
        ),
    ),
    key=("uscc",),
    file_key=("uscc",),
    references=(),
    read_permission=Permission.CUSTOMERS_READ,
    write_permission=Permission.CUSTOMERS_WRITE,
    lock="customers",
    new_row_values={"status": "active", "uscc_verification": "unverified"},
)  # fmt: skip

RELATED_PARTIES = Kind(
    name=ImportKind.RELATED_PARTIES,
    table="related_parties",
    columns=(
        Column(
            "customer_uscc", "客户统一社会信用代码", ColumnType.USCC,
            aliases=("customer",), required=True,
        ),
        Column(
            "related_uscc", "关联方统一社会信用代码", ColumnType.USCC,
            aliases=("related_party",), required=True,
        ),
        Column(
            "relation_type", "关联关系", ColumnType.CHOICE, target="relation_type",
            aliases=("relation",), required=True, choices=_RELATION_CHOICES,
        ),
        Column("ownership_share", "持股比例", ColumnType.SHARE, target="ownership_share"),
        Column("since", "关联起始日期", ColumnType.DATE, target="since", aliases=("起始日期",)),
        Column("note", "备注", ColumnType.TEXT, target="note", max_length=500),
    ),
    key=("customer_id", "related_customer_id", "relation_type"),
    file_key=("customer_uscc", "related_uscc", "relation_type"),
    references=(
        _CUSTOMER_REFERENCE,
        Reference(
            "related_uscc", "customers", "uscc", {"related_customer_id": "id"},
            problems.UNKNOWN_CUSTOMER,
        ),
    ),
    read_permission=Permission.CUSTOMERS_READ,
    write_permission=Permission.CUSTOMERS_WRITE,
    lock="customers",
    # Linked by USCC, not by a name that could be someone else's.
    new_row_values={"verified": True},
    rules=(Distinct("customer_uscc", "related_uscc", problems.SELF_RELATED),),
    label=("related_customer_id", "relation_type"),
)  # fmt: skip

FINANCIAL_STATEMENTS = Kind(
    name=ImportKind.FINANCIAL_STATEMENTS,
    table="financial_statements",
    columns=(
        _customer_uscc(),
        Column(
            "period_end", "报告期", ColumnType.DATE, target="period_end",
            aliases=("报告期末", "会计期末"), required=True, not_in_future=True,
        ),
        Column(
            "period_months", "期间月数", ColumnType.INTEGER, target="period_months",
            allowed=(3, 6, 9, 12), key_default=12,
        ),
        Column(
            "published_on", "披露日期", ColumnType.DATE, target="published_on",
            aliases=("报出日期",),
        ),
        Column(
            "audited", "是否经审计", ColumnType.BOOLEAN, target="audited",
            aliases=("经审计",),
        ),
        _currency(),
        *(
            Column(
                name, chinese, ColumnType.AMOUNT, target=f"{name}_minor", aliases=aliases,
                sign=Sign.NON_NEGATIVE if name in NON_NEGATIVE_LINES else Sign.ANY,
            )
            for name, chinese, aliases in _STATEMENT_LINES
        ),
    ),
    key=("customer_id", "period_end", "period_months"),
    file_key=("customer_uscc", "period_end", "period_months"),
    references=(_CUSTOMER_REFERENCE,),
    read_permission=Permission.FINANCIALS_READ,
    write_permission=Permission.FINANCIALS_WRITE,
    lock="financial_statements",
    new_row_values={"audited": False},
    rules=(
        DateOrder("period_end", "published_on", problems.PUBLISHED_BEFORE_PERIOD_END),
        BalanceSheet(),
        AnyAmount(problems.STATEMENT_EMPTY),
    ),
    label=("period_end", "period_months"),
)  # fmt: skip

INVOICES = Kind(
    name=ImportKind.INVOICES,
    table="invoices",
    columns=(
        Column(
            "invoice_number", "发票号", ColumnType.TEXT, target="invoice_number",
            aliases=("发票号码",), required=True, max_length=64,
        ),
        _customer_uscc(),
        Column("issue_date", "开票日期", ColumnType.DATE, target="issue_date", required=True),
        Column(
            "due_date", "到期日", ColumnType.DATE, target="due_date", aliases=("到期日期",),
            required=True,
        ),
        Column(
            "amount", "金额", ColumnType.AMOUNT, target="amount_minor",
            aliases=("发票金额", "价税合计"), required=True, sign=Sign.POSITIVE,
        ),
        _currency(),
        Column(
            "order_number", "订单号", ColumnType.TEXT, aliases=("订单编号",), max_length=64,
        ),
        Column(
            "contract_number", "合同编号", ColumnType.TEXT, aliases=("合同号",), max_length=64,
        ),
    ),
    key=("invoice_number",),
    file_key=("invoice_number",),
    references=(
        _CUSTOMER_REFERENCE,
        Reference(
            "order_number", "orders", "order_number", {"order_id": "id"},
            problems.UNKNOWN_ORDER, same_customer=True,
        ),
        Reference(
            "contract_number", "contracts", "contract_number", {"contract_id": "id"},
            problems.UNKNOWN_CONTRACT, same_customer=True,
        ),
    ),
    read_permission=Permission.RECEIVABLES_READ,
    write_permission=Permission.RECEIVABLES_WRITE,
    lock="receivables",
    new_row_values={"status": "open"},
    rules=(DateOrder("issue_date", "due_date", problems.DUE_BEFORE_ISSUE),),
)  # fmt: skip

PAYMENTS = Kind(
    name=ImportKind.PAYMENTS,
    table="payments",
    columns=(
        Column(
            "payment_reference", "付款流水号", ColumnType.TEXT, target="payment_reference",
            aliases=("付款编号", "收款流水号"), required=True, max_length=64,
        ),
        Column(
            "invoice_number", "发票号", ColumnType.TEXT, aliases=("发票号码",), required=True,
            max_length=64,
        ),
        _customer_uscc(required=False),
        Column(
            "paid_on", "付款日期", ColumnType.DATE, target="paid_on", aliases=("收款日期",),
            required=True, not_in_future=True,
        ),
        Column(
            "amount", "金额", ColumnType.AMOUNT, target="amount_minor",
            aliases=("付款金额", "收款金额"), required=True, sign=Sign.POSITIVE,
        ),
        _currency(),
        Column(
            "method", "付款方式", ColumnType.TEXT, target="method", aliases=("结算方式",),
            max_length=32,
        ),
    ),
    key=("payment_reference",),
    file_key=("payment_reference",),
    references=(
        Reference(
            "invoice_number", "invoices", "invoice_number", {"customer_id": "customer_id"},
            problems.UNKNOWN_INVOICE,
        ),
    ),
    read_permission=Permission.RECEIVABLES_READ,
    write_permission=Permission.RECEIVABLES_WRITE,
    lock="receivables",
)  # fmt: skip

ORDERS = Kind(
    name=ImportKind.ORDERS,
    table="orders",
    columns=(
        Column(
            "order_number", "订单号", ColumnType.TEXT, target="order_number",
            aliases=("订单编号",), required=True, max_length=64,
        ),
        _customer_uscc(),
        Column(
            "ordered_on", "下单日期", ColumnType.DATE, target="ordered_on",
            aliases=("订单日期",), required=True,
        ),
        Column(
            "requested_delivery_on", "要求交货日期", ColumnType.DATE,
            target="requested_delivery_on", aliases=("交货日期",),
        ),
        Column(
            "amount", "金额", ColumnType.AMOUNT, target="amount_minor", aliases=("订单金额",),
            required=True, sign=Sign.POSITIVE,
        ),
        _currency(),
    ),
    key=("order_number",),
    file_key=("order_number",),
    references=(_CUSTOMER_REFERENCE,),
    read_permission=Permission.ORDERS_READ,
    write_permission=Permission.ORDERS_WRITE,
    lock="orders",
    new_row_values={"status": "open"},
)  # fmt: skip

CONTRACTS = Kind(
    name=ImportKind.CONTRACTS,
    table="contracts",
    columns=(
        Column(
            "contract_number", "合同编号", ColumnType.TEXT, target="contract_number",
            aliases=("合同号",), required=True, max_length=64,
        ),
        _customer_uscc(),
        Column(
            "signed_on", "签订日期", ColumnType.DATE, target="signed_on",
            aliases=("签约日期",), required=True,
        ),
        Column(
            "starts_on", "生效日期", ColumnType.DATE, target="starts_on",
            aliases=("开始日期",), required=True,
        ),
        Column(
            "ends_on", "终止日期", ColumnType.DATE, target="ends_on",
            aliases=("结束日期",),
        ),
        Column(
            "amount", "合同金额", ColumnType.AMOUNT, target="amount_minor", aliases=("金额",),
            required=True, sign=Sign.POSITIVE,
        ),
        _currency(),
        Column(
            "payment_terms_days", "账期天数", ColumnType.INTEGER, target="payment_terms_days",
            aliases=("账期",), sign=Sign.NON_NEGATIVE,
        ),
    ),
    key=("contract_number",),
    file_key=("contract_number",),
    references=(_CUSTOMER_REFERENCE,),
    read_permission=Permission.CONTRACTS_READ,
    write_permission=Permission.CONTRACTS_WRITE,
    lock="contracts",
    new_row_values={"status": "active", "payment_terms_days": 30},
    rules=(DateOrder("starts_on", "ends_on", problems.ENDS_BEFORE_START),),
)  # fmt: skip

CREDIT_REPORTS = Kind(
    name=ImportKind.CREDIT_REPORTS,
    table="credit_reports",
    columns=(
        _customer_uscc(),
        Column(
            "agency", "评级机构", ColumnType.TEXT, target="agency", aliases=("征信机构",),
            required=True, max_length=100,
        ),
        Column(
            "report_date", "报告日期", ColumnType.DATE, target="report_date", required=True,
            not_in_future=True,
        ),
        Column(
            "rating", "评级", ColumnType.TEXT, target="rating", aliases=("信用评级",),
            max_length=16,
        ),
        Column("score", "评分", ColumnType.NUMBER, target="score", aliases=("信用评分",)),
        Column("valid_until", "有效期至", ColumnType.DATE, target="valid_until"),
        Column(
            "summary", "摘要", ColumnType.TEXT, target="summary", aliases=("报告摘要",),
            max_length=10_000,
        ),
    ),
    key=("customer_id", "agency", "report_date"),
    file_key=("customer_uscc", "agency", "report_date"),
    references=(_CUSTOMER_REFERENCE,),
    read_permission=Permission.CREDIT_REPORTS_READ,
    write_permission=Permission.CREDIT_REPORTS_WRITE,
    lock="credit_reports",
    new_row_values={"verified": True},
    label=("agency", "report_date"),
)  # fmt: skip

LEGAL_EVENTS = Kind(
    name=ImportKind.LEGAL_EVENTS,
    table="legal_events",
    columns=(
        _customer_uscc(),
        Column(
            "event_type", "事件类型", ColumnType.CHOICE, target="event_type",
            aliases=("类型",), required=True, choices=_LEGAL_EVENT_CHOICES,
        ),
        Column(
            "occurred_on", "发生日期", ColumnType.DATE, target="occurred_on",
            aliases=("立案日期",), required=True, not_in_future=True,
        ),
        Column(
            "case_number", "案号", ColumnType.TEXT, target="case_number", max_length=100,
            key_default="",
        ),
        Column(
            "authority", "机关", ColumnType.TEXT, target="authority",
            aliases=("法院", "执行法院", "处罚机关"), max_length=200,
        ),
        Column(
            "amount", "涉案金额", ColumnType.AMOUNT, target="amount_minor",
            aliases=("执行标的",), sign=Sign.NON_NEGATIVE,
        ),
        _currency(currency_of="amount"),
        Column(
            "description", "描述", ColumnType.TEXT, target="description",
            aliases=("案由",), max_length=10_000,
        ),
        Column("resolved_on", "结案日期", ColumnType.DATE, target="resolved_on"),
    ),
    key=("customer_id", "event_type", "occurred_on", "case_number"),
    file_key=("customer_uscc", "event_type", "occurred_on", "case_number"),
    references=(_CUSTOMER_REFERENCE,),
    read_permission=Permission.LEGAL_EVENTS_READ,
    write_permission=Permission.LEGAL_EVENTS_WRITE,
    lock="legal_events",
    new_row_values={"verified": True},
    rules=(DateOrder("occurred_on", "resolved_on", problems.RESOLVED_BEFORE_OCCURRED),),
    label=("event_type", "occurred_on", "case_number"),
)  # fmt: skip

KINDS: Mapping[ImportKind, Kind] = {
    kind.name: kind
    for kind in (
        CUSTOMERS,
        RELATED_PARTIES,
        FINANCIAL_STATEMENTS,
        INVOICES,
        PAYMENTS,
        ORDERS,
        CONTRACTS,
        CREDIT_REPORTS,
        LEGAL_EVENTS,
    )
}

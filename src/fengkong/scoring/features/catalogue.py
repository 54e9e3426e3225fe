"""The feature catalogue: every feature's name, group, unit, labels and definition, in one place.

``FEATURE_NAMES`` fixes the column order of :func:`fengkong.scoring.features.compute_features`;
scorecards may only name features listed here. The precise rules (as-of cut-offs, windows,
missing values) are in docs/features.md, which a test keeps in step with this list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FeatureGroup(StrEnum):
    FINANCIAL = "financial"
    PAYMENT = "payment"
    TRADING = "trading"
    EXTERNAL = "external"
    CONTEXT = "context"
    QUALITATIVE = "qualitative"


class Unit(StrEnum):
    RATIO = "ratio"  # a dimensionless fraction, 0.25 = 25 %
    TIMES = "times"  # a multiple, e.g. current ratio 1.5×
    DAYS = "days"
    COUNT = "count"
    YEARS = "years"
    YUAN = "yuan"
    FLAG = "flag"  # 1 = yes, 0 = no
    LEVEL = "level"  # 1 = lowest risk … 5 = highest
    NOTCHES = "notches"  # agency rating ordinal: 1 = AAA … 10 = D, a +/- modifier is ⅓
    ANSWER = "answer"  # questionnaire answer, 1 = best … 5 = worst


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    name: str
    group: FeatureGroup
    unit: Unit
    label_zh: str
    label_en: str
    definition: str

    def label(self, locale: str) -> str:
        return self.label_zh if locale.startswith("zh") else self.label_en


def _spec(
    name: str, group: FeatureGroup, unit: Unit, zh: str, en: str, definition: str
) -> FeatureSpec:
    return FeatureSpec(name, group, unit, zh, en, definition)


_F, _P, _T = FeatureGroup.FINANCIAL, FeatureGroup.PAYMENT, FeatureGroup.TRADING
_E, _C, _Q = FeatureGroup.EXTERNAL, FeatureGroup.CONTEXT, FeatureGroup.QUALITATIVE

FEATURES: tuple[FeatureSpec, ...] = (
    _spec("debt_to_asset", _F, Unit.RATIO, "资产负债率", "Debt-to-asset ratio",
          "Total liabilities / total assets of the latest statement published by as_of."),
    _spec("current_ratio", _F, Unit.TIMES, "流动比率", "Current ratio",
          "Current assets / current liabilities of the latest statement."),
    _spec("quick_ratio", _F, Unit.TIMES, "速动比率", "Quick ratio",
          "(Current assets − inventory) / current liabilities of the latest statement."),
    _spec("net_profit_margin", _F, Unit.RATIO, "净利润率", "Net profit margin",
          "Net profit / revenue of the latest statement (same year-to-date period)."),
    _spec("return_on_assets", _F, Unit.RATIO, "总资产收益率", "Return on assets",
          "Annualised net profit / total assets of the latest statement."),
    _spec("return_on_equity", _F, Unit.RATIO, "净资产收益率", "Return on equity",
          "Annualised net profit / total equity of the latest statement (equity > 0)."),
    _spec("interest_coverage", _F, Unit.TIMES, "利息保障倍数", "Interest coverage",
          "(Net profit + interest expense) / interest expense of the latest statement."),
    _spec("revenue_growth_yoy", _F, Unit.RATIO, "营业收入同比增长率", "Revenue growth year on year",
          "Revenue / revenue of the same-length statement a year earlier − 1."),
    _spec("operating_cash_flow_to_liabilities", _F, Unit.RATIO, "经营现金流负债比",
          "Operating cash flow to liabilities",
          "Annualised operating cash flow / total liabilities of the latest statement."),
    _spec("equity_growth_yoy", _F, Unit.RATIO, "净资产同比增长率", "Equity growth year on year",
          "Total equity / total equity of the same-length statement a year earlier − 1."),
    _spec("max_dpd_3m", _P, Unit.DAYS, "近3个月最大逾期天数", "Max days past due, 3 months",
          "Largest days past due of any amount paid in the last 3 months or still open and due."),
    _spec("max_dpd_6m", _P, Unit.DAYS, "近6个月最大逾期天数", "Max days past due, 6 months",
          "Largest days past due of any amount paid in the last 6 months or still open and due."),
    _spec("max_dpd_12m", _P, Unit.DAYS, "近12个月最大逾期天数", "Max days past due, 12 months",
          "Largest days past due of any amount paid in the last 12 months or still open and due."),
    _spec("weighted_dpd_3m", _P, Unit.DAYS, "近3个月加权逾期天数",
          "Amount-weighted days past due, 3 months",
          "Amount-weighted days past due of amounts paid in the last 3 months or open and due."),
    _spec("weighted_dpd_6m", _P, Unit.DAYS, "近6个月加权逾期天数",
          "Amount-weighted days past due, 6 months",
          "Amount-weighted days past due of amounts paid in the last 6 months or open and due."),
    _spec("weighted_dpd_12m", _P, Unit.DAYS, "近12个月加权逾期天数",
          "Amount-weighted days past due, 12 months",
          "Amount-weighted days past due of amounts paid in the last 12 months or open and due."),
    _spec("overdue_share", _P, Unit.RATIO, "逾期应收占比", "Share of receivables overdue",
          "Open amount past its due date / all open receivables at as_of."),
    _spec("on_time_payment_ratio_12m", _P, Unit.RATIO, "近12个月按时付款率",
          "On-time payment ratio, 12 months",
          "Share of the amount due in the last 12 months that was paid by its due date."),
    _spec("invoices_90plus_dpd", _P, Unit.COUNT, "逾期90天以上发票数",
          "Invoices 90+ days past due",
          "Invoices with an amount still open at as_of more than 90 days after the due date."),
    _spec("dpd_trend", _P, Unit.DAYS, "逾期天数趋势", "Days-past-due trend",
          "weighted_dpd_3m at as_of − weighted_dpd_3m three months earlier."),
    _spec("order_count_trend", _T, Unit.RATIO, "订单数量趋势", "Order count trend",
          "Orders in the last 3 months / orders in the same 3 months a year earlier − 1."),
    _spec("order_amount_trend", _T, Unit.RATIO, "订单金额趋势", "Order amount trend",
          "Order amount in the last 3 months / the same 3 months a year earlier − 1."),
    _spec("relationship_age_years", _T, Unit.YEARS, "合作年限", "Relationship age",
          "Years from the first invoice or order known at as_of to as_of."),
    _spec("limit_utilisation", _T, Unit.RATIO, "额度使用率", "Credit limit utilisation",
          "Open receivables at as_of / the customer's credit limit."),
    _spec("agency_rating_ordinal", _E, Unit.NOTCHES, "外部评级序数", "Agency rating (ordinal)",
          "Latest agency rating by as_of on a 1 (AAA) to 10 (D) scale, ⅓ per +/- modifier."),
    _spec("agency_rating_change", _E, Unit.NOTCHES, "外部评级变动", "Agency rating change",
          "Latest rating ordinal − the previous rating of the same agency (> 0 = downgrade)."),
    _spec("legal_events_24m", _E, Unit.COUNT, "近24个月司法事件数", "Legal events, 24 months",
          "Legal events that occurred in the last 24 months."),
    _spec("legal_amount_24m", _E, Unit.YUAN, "近24个月司法涉案金额", "Legal amount, 24 months",
          "Sum of the known amounts of legal events in the last 24 months."),
    _spec("enforcement_flag", _E, Unit.FLAG, "被执行人标志", "Under enforcement",
          "1 when an enforcement or dishonest-debtor event is unresolved at as_of."),
    _spec("dishonest_debtor_flag", _E, Unit.FLAG, "失信被执行人标志", "Dishonest debtor",
          "1 when a dishonest-debtor (失信被执行人) listing is unresolved at as_of."),
    _spec("industry_risk_level", _C, Unit.LEVEL, "行业风险等级", "Industry risk level",
          "Level of the longest matching GB/T 4754 prefix in the industry table."),
    _spec("region_risk_level", _C, Unit.LEVEL, "地区风险等级", "Region risk level",
          "Level of the longest matching GB/T 2260 prefix in the region table."),
    _spec("years_established", _C, Unit.YEARS, "成立年限", "Years established",
          "Years from the establishment date to as_of."),
    _spec("registered_capital", _C, Unit.YUAN, "注册资本", "Registered capital",
          "Registered capital in yuan (unknown or not in CNY: missing)."),
    _spec("market_reputation", _Q, Unit.ANSWER, "市场声誉", "Market reputation",
          "Latest analyst answer by as_of, 1 = best … 5 = worst."),
    _spec("management_quality", _Q, Unit.ANSWER, "管理层素质", "Management quality",
          "Latest analyst answer by as_of, 1 = best … 5 = worst."),
    _spec("operational_risk", _Q, Unit.ANSWER, "经营风险", "Operational risk",
          "Latest analyst answer by as_of (capacity, supply chain, key customers), 1 … 5."),
    _spec("compliance_concern", _Q, Unit.ANSWER, "法律合规关注", "Legal and compliance concern",
          "Latest analyst answer by as_of, 1 = no concern … 5 = serious concern."),
)  # fmt: skip

FEATURE_NAMES: tuple[str, ...] = tuple(spec.name for spec in FEATURES)
FEATURE_SPECS: dict[str, FeatureSpec] = {spec.name: spec for spec in FEATURES}


def feature_names(group: FeatureGroup) -> tuple[str, ...]:
    return tuple(spec.name for spec in FEATURES if spec.group is group)

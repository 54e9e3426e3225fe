"""From a customer's ledger totals to exposure and expected loss. Pure; amounts are integer
minor units of the credit currency, shares and probabilities floats, products rounded half up.

* gross exposure = open receivables + open orders + contract commitments − unapplied payments
  (cash received but not yet matched to invoices offsets what is owed), never below zero;
* mitigation = what the mitigants cover (amount × (1 − haircut)), capped at gross;
  net exposure = gross − mitigation, the part nothing protects;
* exposure at default (EAD) = receivables + orders − unapplied + CCF × commitments: a contract's
  unbilled value is only partly drawn by the time a customer defaults;
* the mitigants secure EAD, the best protection (lowest LGD) first; the rest is unsecured;
* loss given default is blended: unsecured part × the industry's LGD + each secured part × its
  kind's LGD, over EAD; expected loss = PD × LGD × EAD.

Mitigants lower LGD, not EAD, so protection is never counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from fengkong.exposure.status import MitigantKind


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share_of(amount: int, share: float) -> int:
    """``amount × share`` in whole minor units, 四舍五入."""
    return round_half_up(Decimal(amount) * Decimal(str(share)))


@dataclass(frozen=True, slots=True)
class Protection:
    """One mitigant in force: the part of the exposure it covers (after its haircut) and the LGD
    of the part it secures."""

    mitigant_id: int | None
    kind: MitigantKind
    covered: int
    lgd: float


@dataclass(frozen=True, slots=True)
class SecuredPart:
    mitigant_id: int | None
    kind: MitigantKind
    amount: int
    lgd: float


@dataclass(frozen=True, slots=True)
class ExposureInputs:
    open_receivables: int
    open_orders: int
    contract_commitments: int
    unapplied_payments: int
    protections: Sequence[Protection]
    industry_lgd: float
    commitment_ccf: float
    pd: float | None


@dataclass(frozen=True, slots=True)
class ExposureFigures:
    gross_exposure: int
    mitigation: int
    net_exposure: int
    ead: int
    secured: tuple[SecuredPart, ...]
    unsecured: int
    loss_amount: Decimal
    """Σ part × its LGD: the loss if the customer defaulted today."""
    lgd: float
    expected_loss: int | None


def covered_by(amount: int, haircut: float) -> int:
    """What a mitigant of ``amount`` counts for after its haircut."""
    return share_of(amount, 1 - haircut) if haircut < 1 else 0


def compose(inputs: ExposureInputs) -> ExposureFigures:
    on_balance = inputs.open_receivables + inputs.open_orders - inputs.unapplied_payments
    gross = max(0, on_balance + inputs.contract_commitments)
    ead = max(0, on_balance + share_of(inputs.contract_commitments, inputs.commitment_ccf))
    covered = sum(max(0, protection.covered) for protection in inputs.protections)
    mitigation = min(covered, gross)
    remaining = ead
    secured: list[SecuredPart] = []
    for protection in sorted(inputs.protections, key=lambda item: item.lgd):
        if remaining <= 0:
            break
        part = min(max(0, protection.covered), remaining)
        if part > 0:
            secured.append(
                SecuredPart(protection.mitigant_id, protection.kind, part, protection.lgd)
            )
            remaining -= part
    unsecured = remaining
    loss = Decimal(unsecured) * Decimal(str(inputs.industry_lgd)) + sum(
        (Decimal(part.amount) * Decimal(str(part.lgd)) for part in secured), Decimal(0)
    )
    lgd = float(loss / Decimal(ead)) if ead > 0 else inputs.industry_lgd
    expected = None if inputs.pd is None else round_half_up(Decimal(str(inputs.pd)) * loss)
    return ExposureFigures(
        gross_exposure=gross,
        mitigation=mitigation,
        net_exposure=gross - mitigation,
        ead=ead,
        secured=tuple(secured),
        unsecured=unsecured,
        loss_amount=loss,
        lgd=lgd,
        expected_loss=expected,
    )

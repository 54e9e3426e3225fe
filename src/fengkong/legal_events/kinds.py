from __future__ import annotations

from enum import StrEnum


class LegalEventType(StrEnum):
    LAWSUIT = "lawsuit"
    JUDGMENT = "judgment"
    ENFORCEMENT = "enforcement"  # 被执行人
    DISHONEST_DEBTOR = "dishonest_debtor"  # 失信被执行人
    ASSET_FREEZE = "asset_freeze"
    ADMINISTRATIVE_PENALTY = "administrative_penalty"
    BANKRUPTCY = "bankruptcy"

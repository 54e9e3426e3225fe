"""Kinds and states of registered models, the transitions a state may take, and what each
decision in a model's history did. Pure declarations; no I/O."""

from __future__ import annotations

from enum import StrEnum


class ModelKind(StrEnum):
    """``expert``: a configured scorecard of the risk area; ``scorecard``: a statistical scorecard
    trained in the model lab; ``gbm``: a LightGBM model trained in the model lab."""

    EXPERT = "expert"
    SCORECARD = "scorecard"
    GBM = "gbm"


class ModelState(StrEnum):
    """Life of a model version: registered as a draft, validated (metrics on record), approved by
    someone other than its author, champion (one per name), retired when another takes over (kept,
    and can become champion again by rollback). A draft, validated or approved model can be
    rejected, which ends it."""

    DRAFT = "draft"
    VALIDATED = "validated"
    APPROVED = "approved"
    CHAMPION = "champion"
    RETIRED = "retired"
    REJECTED = "rejected"


MODEL_TRANSITIONS: dict[ModelState, frozenset[ModelState]] = {
    ModelState.DRAFT: frozenset({ModelState.VALIDATED, ModelState.REJECTED}),
    # Validating again (new data) keeps a validated model validated.
    ModelState.VALIDATED: frozenset({ModelState.APPROVED, ModelState.REJECTED}),
    ModelState.APPROVED: frozenset({ModelState.CHAMPION, ModelState.REJECTED}),
    ModelState.CHAMPION: frozenset({ModelState.RETIRED}),
    # Rollback: only a model that was champion before (``promoted_at`` set) may return.
    ModelState.RETIRED: frozenset({ModelState.CHAMPION}),
}


class ModelAction(StrEnum):
    REGISTER = "register"
    VALIDATE = "validate"
    APPROVE = "approve"
    REJECT = "reject"
    PROMOTE = "promote"
    RETIRE = "retire"
    ROLLBACK = "rollback"


class DriftStatus(StrEnum):
    """A drift check's verdict on a champion's live score distribution: PSI against its
    development distribution below 0.10 ``stable``, up to the threshold ``watch``, above it
    ``drifted``. ``baseline``: the check took the live distribution as the reference (a model
    without a stored development distribution, e.g. the expert scorecard); ``too_few``: too few
    live scores to judge."""

    STABLE = "stable"
    WATCH = "watch"
    DRIFTED = "drifted"
    BASELINE = "baseline"
    TOO_FEW = "too_few"

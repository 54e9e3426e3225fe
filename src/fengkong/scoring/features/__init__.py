"""Point-in-time features for credit scoring, vectorised over many customers.

``compute_features(ledgers, as_of, context)`` is the entry point; ``FEATURE_NAMES`` and
``FEATURES`` (the catalogue) say what comes out, docs/features.md how each value is defined.
"""

from fengkong.scoring.features.catalogue import (
    FEATURE_NAMES,
    FEATURE_SPECS,
    FEATURES,
    FeatureGroup,
    FeatureSpec,
    Unit,
    feature_names,
)
from fengkong.scoring.features.compute import compute_features

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "FEATURE_SPECS",
    "FeatureGroup",
    "FeatureSpec",
    "Unit",
    "compute_features",
    "feature_names",
]

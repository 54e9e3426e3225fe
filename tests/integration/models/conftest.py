from __future__ import annotations

from tests.integration.models.training import gbm_run, holdout_data, lab_data, scorecard_run

__all__ = ["gbm_run", "holdout_data", "lab_data", "scorecard_run"]

"""The model lab: train a statistical scorecard or LightGBM on a labelled table, and prove it.

A pure library like the rest of ``fengkong.scoring``: no database, no request. It needs the
``lab`` extra (optbinning, scikit-learn, LightGBM), so nothing outside the lab imports it at module
level. Modules: ``data`` (reading and typing a labelled table), ``metrics`` (AUC, KS, Brier,
calibration, PSI/CSI, folds), ``scorecard`` and ``gbm`` (the two model kinds), ``validation``
(K-fold, out-of-time backtest, the JSON summary), ``compare`` (champion against challenger on
the same rows), ``export`` (artefacts) and ``report`` (HTML).
"""

"""The model registry (issue 4): every scoring model — the expert scorecard, trained scorecards and
LightGBM challengers — as a versioned entry with its artefact, training-data hash, features,
parameters, validation metrics and author, moving draft → validated → approved → champion under
maker-checker approval, with rollback to an earlier champion."""

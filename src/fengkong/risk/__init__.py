"""Risk scores: scorecards and grade scales stored by version, scores with their history and
reasons, qualitative assessments, and rescoring when a customer's data changes."""

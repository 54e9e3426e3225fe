"""Personal data: encryption at rest, blind indexes, masking, audited disclosure, PIPL requests."""

"""Idempotency keys: a retried API write returns the first response and writes nothing twice."""

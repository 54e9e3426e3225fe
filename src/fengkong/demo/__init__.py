"""Deterministic demo data. Its hidden profiles live apart from the business tables."""

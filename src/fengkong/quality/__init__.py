"""Data quality: completeness, staleness and verification of customer files."""

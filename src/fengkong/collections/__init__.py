"""collections area."""

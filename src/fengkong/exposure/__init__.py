"""exposure area."""

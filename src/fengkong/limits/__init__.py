"""limits area."""

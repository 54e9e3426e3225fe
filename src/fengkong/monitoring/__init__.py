"""monitoring area."""

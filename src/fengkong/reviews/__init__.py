"""reviews area."""

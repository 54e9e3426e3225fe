"""credit_checks area."""

"""Users, roles, permissions, passwords and API tokens."""

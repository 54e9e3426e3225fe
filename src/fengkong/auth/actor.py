"""Who is acting. Every service call and every audited write names an actor."""

from __future__ import annotations

from dataclasses import dataclass

from fengkong.auth.roles import Permission, Role, permissions_of


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    username: str
    role: Role
    # An API token may be limited to some of its user's permissions (``None``: all of them).
    token_scopes: frozenset[Permission] | None = None
    # The region (an administrative-division code prefix) whose customers a user without
    # ``customers:all`` sees besides the ones they own.
    region_code: str | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        granted = permissions_of(self.role)
        return granted if self.token_scopes is None else granted & self.token_scopes

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """The actor for the CLI, jobs and demo loads: acts with admin rights, audited by name."""
        return cls(user_id=None, username=name, role=Role.ADMIN)

"""Who is acting. Every service call and every audited write names an actor."""

from __future__ import annotations

from dataclasses import dataclass

from fengkong.auth.roles import Permission, Role, permissions_of


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    username: str
    role: Role

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_of(self.role)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """The actor for the CLI, jobs and demo loads: acts with admin rights, audited by name."""
        return cls(user_id=None, username=name, role=Role.ADMIN)

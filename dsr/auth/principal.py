from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from dsr.auth.roles import Role


@dataclass(frozen=True)
class Principal:
    """Who is calling: a staff user (by bearer token or console session) or a service token."""

    kind: str  # "staff" | "service"
    token_name: str | None = None
    user_id: uuid.UUID | None = None
    email: str | None = None
    role: Role | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # A service token bound to one data system: it reaches that system's tasks and nothing else.
    data_system_id: uuid.UUID | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    def has_role(self, *roles: Role) -> bool:
        return self.role is not None and (self.role in roles or self.role is Role.ADMIN)

    def has_scope(self, scope: str) -> bool:
        # Admins may use every service scope (for checks from the console); other staff may not.
        return scope in self.scopes or self.role is Role.ADMIN

    @property
    def is_system(self) -> bool:
        """A data system's own token (`dsr tokens create --data-system NAME`)."""
        return self.kind == "service" and self.data_system_id is not None

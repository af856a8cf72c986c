"""Staff roles and service-token scopes (README)."""

from __future__ import annotations

from enum import StrEnum

from dsr.domain.workflow import Role  # one definition, shared with the state machine


class Scope(StrEnum):
    training_read = "training:read"
    consent_write = "consent:write"
    suppressions_read = "suppressions:read"
    tasks_write = "tasks:write"


__all__ = ["ROLES", "SCOPES", "Role", "Scope"]

ROLES = frozenset(r.value for r in Role)
SCOPES = frozenset(s.value for s in Scope)

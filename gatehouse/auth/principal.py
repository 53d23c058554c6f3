"""Who is calling: one Principal per request, checked by every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from gatehouse.auth.permissions import ALL_PERMISSIONS
from gatehouse.models.acting import SYSTEM, Actor, ActorKind


class PrincipalKind(StrEnum):
    ANONYMOUS = "ANONYMOUS"
    OPERATOR = "OPERATOR"  # environment API key: the whole deployment
    ORGANIZATION_KEY = "ORGANIZATION_KEY"  # organization API key with scopes
    SESSION = "SESSION"  # a dashboard user's session, by role
    PORTAL = "PORTAL"  # Admin Portal session from a setup link


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    organization_id: str | None = None  # None: every organization (operators only)
    permissions: frozenset[str] = field(default_factory=frozenset)
    api_key_id: str | None = None
    member_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    # A session's whole role as read with the session (product permissions included), for
    # `viewer`; Gatehouse's own checks see only `permissions`.
    role_permissions: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        return self.kind is not PrincipalKind.ANONYMOUS

    @property
    def is_operator(self) -> bool:
        return self.kind is PrincipalKind.OPERATOR

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def can_access_organization(self, organization_id: str) -> bool:
        return self.organization_id is None or self.organization_id == organization_id

    def rate_limit_key(self, client_host: str | None) -> str:
        """Its rate-limit bucket: one per API key, per session, else per client address."""
        if self.api_key_id:
            return f"key:{self.api_key_id}"
        if self.session_id:
            return f"session:{self.session_id}"
        return f"ip:{client_host or 'unknown'}"

    @property
    def actor(self) -> dict[str, str | None]:
        """Who did it, for event payloads (IDs only, never a secret)."""
        return {
            "kind": self.kind.value,
            "api_key_id": self.api_key_id,
            "member_id": self.member_id,
        }

    def audit_actor(self) -> Actor:
        """Who this caller is on an event: the key, the member, the portal session; an
        anonymous caller (a hosted page before anyone signed in) acts as SYSTEM."""
        if self.kind is PrincipalKind.OPERATOR:
            return Actor(ActorKind.OPERATOR_KEY, self.api_key_id)
        if self.kind is PrincipalKind.ORGANIZATION_KEY:
            return Actor(ActorKind.ORGANIZATION_KEY, self.api_key_id)
        if self.kind is PrincipalKind.SESSION:
            return Actor(ActorKind.MEMBER_SESSION, self.member_id)
        if self.kind is PrincipalKind.PORTAL:
            return Actor(ActorKind.PORTAL_SESSION, self.session_id)
        return SYSTEM


ANONYMOUS = Principal(kind=PrincipalKind.ANONYMOUS)


def operator_principal(api_key_id: str | None = None) -> Principal:
    return Principal(
        kind=PrincipalKind.OPERATOR, permissions=ALL_PERMISSIONS, api_key_id=api_key_id
    )

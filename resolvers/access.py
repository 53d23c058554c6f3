"""Permission and tenancy guards every resolver starts with."""

from __future__ import annotations

from gatehouse.auth.principal import Principal
from gatehouse.resolvers.errors import AuthenticationRequired, PermissionDenied


def require(principal: Principal, permission: str) -> None:
    if not principal.is_authenticated:
        raise AuthenticationRequired
    if not principal.can(permission):
        raise PermissionDenied(permission)


def visible_organization(principal: Principal, organization_id: str) -> bool:
    """Whether the caller may see this organization at all (a wrong tenant reads as absent)."""
    return principal.can_access_organization(organization_id)

"""Permission and tenancy guards every resolver starts with."""

from __future__ import annotations

from typing import Protocol, TypeVar, cast

from tortoise.models import Model

from gatehouse.auth.principal import Principal
from gatehouse.resolvers.errors import AuthenticationRequired, PermissionDenied, not_found
from gatehouse.resolvers.validation import check_id


def require(principal: Principal, permission: str) -> None:
    if not principal.is_authenticated:
        raise AuthenticationRequired
    if not principal.can(permission):
        raise PermissionDenied(permission)


def visible_organization(principal: Principal, organization_id: str) -> bool:
    """Whether the caller may see this organization at all (a wrong tenant reads as absent)."""
    return principal.can_access_organization(organization_id)


class TenantRow(Protocol):
    organization_id: str | None


T = TypeVar("T", bound=Model)


async def locked_for_change(
    principal: Principal, model: type[T], object_id: str, prefix: str, what: str, field: str
) -> T:
    """The row a mutation targets, locked for its transaction; a malformed ID is INVALID_ID,
    and an unknown row or another tenant's reads the same: NOT_FOUND."""
    check_id(object_id, prefix, what.lower(), field)
    row = await model.filter(id=object_id).select_for_update().first()
    organization_id = cast("TenantRow", row).organization_id if row is not None else None
    if row is None or not visible_organization(principal, organization_id or ""):
        raise not_found(what, field)
    return row

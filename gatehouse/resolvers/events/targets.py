"""What webhook endpoints and log streams share as delivery targets: the URL they may point
at, and the organization they belong to."""

from __future__ import annotations

from gatehouse.auth.principal import Principal
from gatehouse.outbound import UnsafeUrl, check_url
from gatehouse.resolvers.access import visible_organization
from gatehouse.resolvers.errors import ErrorCode, Validator, not_found
from gatehouse.resolvers.organizations import organization_for_change

MAX_URL = 2048


async def check_target_url(v: Validator, url: str, allow_private: bool) -> str:
    url = (url or "").strip()
    if not url or len(url) > MAX_URL:
        v.add(ErrorCode.INVALID_URL, "Enter an https URL of at most 2048 characters.", "url")
        return url
    try:
        await check_url(url, allow_private=allow_private)
    except UnsafeUrl as e:
        code = ErrorCode.PRIVATE_URL if e.private else ErrorCode.INVALID_URL
        v.add(code, str(e), "url")
    return url


def check_scope(principal: Principal, organization_id: str | None) -> None:
    """Another tenant's organization reads as absent, before any other validation."""
    if organization_id is not None and not visible_organization(principal, organization_id):
        raise not_found("Organization", "organizationId")


async def target_organization(principal: Principal, organization_id: str | None) -> str | None:
    """Scoped callers always get their own organization; operators may choose or omit it."""
    if principal.organization_id is not None:
        organization_id = organization_id or principal.organization_id
    if organization_id is None:
        return None
    org = await organization_for_change(principal, organization_id)
    return str(org.id)

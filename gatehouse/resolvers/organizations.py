"""Organizations: the customer tenants, their lifecycle and policy."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import Domain, DomainEnrollment, DomainState, Organization, Role
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.domains.claims import check_claims, create_claim
from gatehouse.resolvers.domains.names import DomainName, InvalidDomain, normalize_domain
from gatehouse.resolvers.environment_roles import copy_to_organization
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator, not_found
from gatehouse.resolvers.pagination import Page, empty, paginate
from gatehouse.resolvers.validation import MAX_NAME, check_id, clean_metadata, clean_name

UNSET: Any = object()  # "not given" in update inputs, distinct from an explicit null


def organization_data(org: Organization) -> dict[str, Any]:
    return {"id": org.id, "name": org.name, "external_id": org.external_id}


async def get_organization(
    principal: Principal, organization_id: str | None, *, external_id: str | None = None
) -> Organization | None:
    """By ID, or by the operator's external ID (as WorkOS looks organizations up)."""
    require(principal, Permission.ORGANIZATIONS_READ)
    if organization_id:
        org = await Organization.get_or_none(id=organization_id)
    elif external_id and external_id.strip():
        org = await Organization.get_or_none(external_id=external_id.strip())
    else:
        return None
    if org is None or not visible_organization(principal, org.id):
        return None
    return org


async def list_organizations(
    principal: Principal,
    first: int | None,
    after: str | None,
    search: str | None,
    *,
    domain: str | None = None,
) -> Page[Organization]:
    require(principal, Permission.ORGANIZATIONS_READ)
    query = Organization.all()
    if principal.organization_id is not None:
        query = query.filter(id=principal.organization_id)
    if search and search.strip():
        query = query.filter(name_search__contains=search.strip().lower())
    if domain is not None:
        try:
            name = normalize_domain(domain).ascii
        except InvalidDomain:
            return await paginate(empty(query), first, after)
        query = query.filter(domains__domain=name).distinct()
    return await paginate(query, first, after)


async def organization_for_change(principal: Principal, organization_id: str) -> Organization:
    """The organization a mutation targets, locked; another tenant's reads as not found."""
    check_id(organization_id, "org", "organization", "organizationId")
    if not visible_organization(principal, organization_id):
        raise not_found("Organization", "organizationId")
    org = await Organization.filter(id=organization_id).select_for_update().first()
    if org is None:
        raise not_found("Organization", "organizationId")
    return org


async def _check_external_id(
    v: Validator, external_id: str | None, exclude_id: str | None = None
) -> str | None:
    if external_id is None:
        return None
    external_id = external_id.strip()
    if not external_id:
        return None
    if len(external_id) > 200:
        v.add(ErrorCode.TOO_LONG, "External ID must be at most 200 characters.", "externalId")
        return external_id
    clash = Organization.filter(external_id=external_id)
    if exclude_id:
        clash = clash.exclude(id=exclude_id)
    if await clash.exists():
        v.add(
            ErrorCode.EXTERNAL_ID_TAKEN, "Another organization has this external ID.", "externalId"
        )
    return external_id


@dataclass(frozen=True, slots=True)
class NewOrganization:
    name: str
    external_id: str | None = None
    metadata: dict[str, Any] | None = None
    domains: tuple[str, ...] = ()  # claimed (PENDING) at creation; verified ones elsewhere refused


async def create_organization(principal: Principal, data: NewOrganization) -> Organization:
    require(principal, Permission.ORGANIZATIONS_MANAGE)
    v = Validator()
    name = clean_name(v, data.name, "name")
    name_search = _search_name(v, name)
    metadata = clean_metadata(v, data.metadata, "metadata")
    async with in_transaction():
        external_id = await _check_external_id(v, data.external_id)
        names: list[DomainName] = []
        try:
            names = await check_claims(list(data.domains), None, "domains", indexed=True)
        except DomainError as e:
            v.errors.extend(e.errors)
        v.check()
        org = await Organization.create(
            name=name, name_search=name_search, external_id=external_id, metadata=metadata
        )
        await copy_to_organization(org)
        await record_event("organization.created", org.id, organization_data(org))
        for index, domain_name in enumerate(names):
            await create_claim(org.id, domain_name, "domains", str(index))
    return org


def _search_name(v: Validator, name: str) -> str:
    """The lowercased copy searches read; lowercasing can lengthen text ("İ" is two
    characters lowercased), and the copy has the name's limit too."""
    lowered = name.lower()
    if len(lowered) > MAX_NAME and len(name) <= MAX_NAME:
        v.add(ErrorCode.TOO_LONG, f"Name must be at most {MAX_NAME} characters lowercased.", "name")
    return lowered


async def update_organization(
    principal: Principal,
    organization_id: str,
    *,
    name: Any = UNSET,
    external_id: Any = UNSET,
    metadata: Any = UNSET,
) -> Organization:
    require(principal, Permission.ORGANIZATIONS_WRITE)
    v = Validator()
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        if name is not UNSET:
            org.name = clean_name(v, name, "name")
            org.name_search = _search_name(v, org.name)
        if external_id is not UNSET:
            org.external_id = await _check_external_id(v, external_id, exclude_id=org.id)
        if metadata is not UNSET:
            org.metadata = clean_metadata(v, metadata, "metadata")
        v.check()
        await org.save()
        await record_event("organization.updated", org.id, organization_data(org))
    return org


async def delete_organization(principal: Principal, organization_id: str) -> str:
    require(principal, Permission.ORGANIZATIONS_MANAGE)
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        data = organization_data(org)
        # Members first: their role foreign key restricts deleting roles by cascade.
        await org.members.all().delete()
        await org.delete()
        await record_event("organization.deleted", organization_id, data)
    return organization_id


class AuthMethod(StrEnum):
    """What an organization's policy may allow (an invitation counts as EMAIL_CODE)."""

    SSO = "SSO"
    EMAIL_CODE = "EMAIL_CODE"


AUTH_METHODS = tuple(m.value for m in AuthMethod)


@dataclass(frozen=True, slots=True)
class PolicyChange:
    jit_provisioning: bool | None = None
    restrict_invitations_to_verified_domains: bool | None = None
    allowed_auth_methods: list[str] | None = None
    default_role_slug: str | None = None
    # Deprecated, kept one release: requireSso is allowedAuthMethods [SSO];
    # joinByVerifiedDomain sets every verified domain's enrollment to AUTOMATIC (or NONE).
    require_sso: bool | None = None
    join_by_verified_domain: bool | None = None


def _auth_methods(change: PolicyChange) -> list[str] | None:
    if change.allowed_auth_methods is not None:
        methods = list(dict.fromkeys(change.allowed_auth_methods))
        if not methods or any(m not in AUTH_METHODS for m in methods):
            raise DomainError.of(
                ErrorCode.INVALID_AUTH_METHODS,
                "Allow at least one of SSO and EMAIL_CODE.",
                "allowedAuthMethods",
            )
        return methods
    if change.require_sso is not None:
        return ["SSO"] if change.require_sso else list(AUTH_METHODS)
    return None


async def update_organization_policy(
    principal: Principal, organization_id: str, change: PolicyChange
) -> Organization:
    require(principal, Permission.ORGANIZATIONS_WRITE)
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        for attr in ("jit_provisioning", "restrict_invitations_to_verified_domains"):
            value = getattr(change, attr)
            if value is not None:
                setattr(org, attr, value)
        methods = _auth_methods(change)
        if methods is not None:
            org.sso_allowed = "SSO" in methods
            org.email_code_allowed = "EMAIL_CODE" in methods
        if change.join_by_verified_domain is not None:
            enrollment = (
                DomainEnrollment.AUTOMATIC
                if change.join_by_verified_domain
                else DomainEnrollment.NONE
            )
            await Domain.filter(organization_id=org.id, state=DomainState.VERIFIED).update(
                enrollment=enrollment
            )
        if change.default_role_slug is not None:
            slug = change.default_role_slug.strip().lower()
            if not await Role.filter(organization_id=org.id, slug=slug).exists():
                raise DomainError.of(
                    ErrorCode.ROLE_NOT_FOUND, "No role with this slug.", "defaultRoleSlug"
                )
            org.default_role_slug = slug
            # Chosen here: the environment's default no longer applies to this organization.
            org.default_role_inherited = False
        await org.save()
        await record_event(
            "organization.updated", org.id, {**organization_data(org), "policy": policy_data(org)}
        )
    return org


def policy_data(org: Organization) -> dict[str, Any]:
    return {
        "jit_provisioning": org.jit_provisioning,
        "restrict_invitations_to_verified_domains": org.restrict_invitations_to_verified_domains,
        "allowed_auth_methods": org.allowed_auth_methods,
        "require_sso": not org.email_code_allowed,
        "default_role": org.default_role_slug,
    }

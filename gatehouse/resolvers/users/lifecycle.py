"""Users as first-class objects: lookups, the list, and profile changes.

A user is one person across the deployment. Operators see every user; an organization's caller
sees only the users of its own members (the same rule `node(id:)` follows), and never another
organization's view of them. Changing a profile is the operator's (`users:manage`): names and
metadata are the person's across every organization, so no single tenant may set them.
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import Member, User
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator, not_found
from gatehouse.resolvers.organizations import UNSET
from gatehouse.resolvers.pagination import Page, empty, paginate
from gatehouse.resolvers.users.profiles import user_data
from gatehouse.resolvers.validation import check_id, clean_metadata, clean_name, normalize_email

MAX_EXTERNAL_ID = 200


async def _visible(principal: Principal, user: User | None) -> User | None:
    if user is None or principal.organization_id is None:
        return user
    shares = await Member.exists(user_id=user.id, organization_id=principal.organization_id)
    return user if shares else None


async def get_user(
    principal: Principal, user_id: str | None = None, external_id: str | None = None
) -> User | None:
    """By ID or by the operator's external ID; null when unknown or not the caller's."""
    require(principal, Permission.MEMBERS_READ)
    if user_id:
        return await _visible(principal, await User.get_or_none(id=user_id))
    if external_id and external_id.strip():
        found = await User.get_or_none(external_id=external_id.strip())
        return await _visible(principal, found)
    return None


async def list_users(
    principal: Principal,
    first: int | None,
    after: str | None,
    email: str | None = None,
    organization_id: str | None = None,
) -> Page[User]:
    """Every user for an operator; a scoped caller's own members' users only."""
    require(principal, Permission.MEMBERS_READ)
    query = User.all()
    scope = principal.organization_id
    if scope is not None and organization_id not in (None, scope):
        query = empty(query)
    organization = organization_id or scope
    if organization is not None:
        query = query.filter(memberships__organization_id=organization).distinct()
    if email and email.strip():
        query = query.filter(email=normalize_email(email))
    return await paginate(query, first, after)


async def user_for_change(user_id: str, *field: str) -> User:
    """The user an operator's mutation targets, locked for its transaction."""
    check_id(user_id, "user", "user", *field)
    user = await User.filter(id=user_id).select_for_update().first()
    if user is None:
        raise not_found("User", *field)
    return user


async def _clean_external_id(v: Validator, value: str | None, user_id: str) -> str | None:
    external_id = (value or "").strip() or None
    if external_id is None:
        return None
    if len(external_id) > MAX_EXTERNAL_ID:
        v.add(ErrorCode.TOO_LONG, "External ID must be at most 200 characters.", "externalId")
    elif await User.filter(external_id=external_id).exclude(id=user_id).exists():
        v.add(ErrorCode.EXTERNAL_ID_TAKEN, "Another user has this external ID.", "externalId")
    return external_id


async def update_user(
    principal: Principal,
    user_id: str,
    *,
    first_name: Any = UNSET,
    last_name: Any = UNSET,
    external_id: Any = UNSET,
    metadata: Any = UNSET,
) -> User:
    require(principal, Permission.USERS_MANAGE)
    v = Validator()
    async with in_transaction():
        user = await user_for_change(user_id, "userId")
        for key, value, field in (
            ("first_name", first_name, "firstName"),
            ("last_name", last_name, "lastName"),
        ):
            if value is not UNSET:
                cleaned = clean_name(v, value, field, max_len=100) if value else None
                setattr(user, key, cleaned)
        if external_id is not UNSET:
            user.external_id = await _clean_external_id(v, external_id, user.id)
        if metadata is not UNSET:
            user.metadata = clean_metadata(v, metadata, "metadata")
        v.check()
        try:
            await user.save()
        except IntegrityError:
            # Two updates racing for one external ID: the unique index decides, as the check would.
            raise DomainError.of(
                ErrorCode.EXTERNAL_ID_TAKEN, "Another user has this external ID.", "externalId"
            ) from None
        await record_event("user.updated", None, user_data(user))
    return user

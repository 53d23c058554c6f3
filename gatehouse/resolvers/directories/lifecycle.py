"""Directories: created (SCIM token shown once), rotated, mapped to roles, deleted."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.auth.secrets import generate_secret, hash_secret
from gatehouse.events import record_event
from gatehouse.models import (
    DeprovisioningAction,
    Directory,
    DirectoryGroup,
    DirectoryMode,
    DirectoryType,
    DirectoryUser,
    GroupRoleMapping,
    reads,
)
from gatehouse.models.ids import has_prefix
from gatehouse.resolvers.access import locked_for_change, require, visible_organization
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator
from gatehouse.resolvers.members import role_by_slug
from gatehouse.resolvers.organizations import organization_for_change
from gatehouse.resolvers.pagination import Page, empty, paginate
from gatehouse.resolvers.validation import check_id, clean_name

TOKEN_PREFIX = "scim"  # noqa: S105 - a prefix that tells the token apart, not a secret
MAX_PRIORITY = 1_000_000
# Recording every request's time would turn each SCIM read into a write.
ACTIVITY_RESOLUTION = timedelta(minutes=1)
DEFAULT_TOKEN_OVERLAP = timedelta(days=7)


def directory_data(directory: Directory) -> dict[str, Any]:
    # Never the token or its hash: events are readable by the organization.
    return {
        "id": directory.id,
        "organization_id": directory.organization_id,
        "name": directory.name,
        "type": directory.type.value,
        "state": directory.state.value,
        "mode": directory.mode.value,
    }


def scim_base_url(base_url: str, directory_id: str) -> str:
    return f"{base_url.rstrip('/')}/scim/v2/{directory_id}"


def _new_token() -> tuple[str, str]:
    token = generate_secret(TOKEN_PREFIX)
    return token, hash_secret(token)


async def get_directory(principal: Principal, directory_id: str) -> Directory | None:
    require(principal, Permission.DIRECTORIES_READ)
    directory = await Directory.get_or_none(id=directory_id)
    if directory is None or not visible_organization(principal, directory.organization_id):
        return None
    return directory


async def get_directory_user(principal: Principal, user_id: str) -> DirectoryUser | None:
    require(principal, Permission.DIRECTORIES_READ)
    row = await DirectoryUser.get_or_none(id=user_id).select_related("directory")
    if row is None or not visible_organization(principal, row.directory.organization_id):
        return None
    return row


async def get_directory_group(principal: Principal, group_id: str) -> DirectoryGroup | None:
    require(principal, Permission.DIRECTORIES_READ)
    row = await DirectoryGroup.get_or_none(id=group_id).select_related("directory")
    if row is None or not visible_organization(principal, row.directory.organization_id):
        return None
    return row


async def list_directories(principal: Principal, organization_id: str) -> list[Directory]:
    require(principal, Permission.DIRECTORIES_READ)
    if not visible_organization(principal, organization_id):
        return []
    return await Directory.filter(organization_id=organization_id).order_by("id")


async def _directory_for_change(principal: Principal, directory_id: str) -> Directory:
    return await locked_for_change(
        principal, Directory, directory_id, "dir", "Directory", "directoryId"
    )


async def create_directory(
    principal: Principal,
    organization_id: str,
    name: str,
    type: DirectoryType = DirectoryType.GENERIC_SCIM,
    deprovisioning_action: DeprovisioningAction = DeprovisioningAction.DEACTIVATE,
    mode: DirectoryMode = DirectoryMode.LIVE,
) -> tuple[Directory, str]:
    """Returns the directory and its bearer token; the token is not recoverable afterwards."""
    require(principal, Permission.DIRECTORIES_WRITE)
    v = Validator()
    name = clean_name(v, name, "name")
    v.check()
    token, token_hash = _new_token()
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        directory = await Directory.create(
            organization=org,
            name=name,
            type=type,
            deprovisioning_action=deprovisioning_action,
            mode=mode,
            token_hash=token_hash,
            token_prefix=token[:9],
        )
        await record_event("dsync.activated", org.id, directory_data(directory))
    return directory, token


def rotating(directory: Directory, at: datetime | None = None) -> bool:
    """Whether the token from before the last rotation still works."""
    expires = directory.previous_token_expires_at
    return (
        bool(directory.previous_token_hash)
        and expires is not None
        and (expires > (at or datetime.now(UTC)))
    )


def _rotation_data(directory: Directory, actor: dict[str, Any]) -> dict[str, Any]:
    return {
        **directory_data(directory),
        "token_prefix": directory.token_prefix,
        "previous_token_prefix": directory.previous_token_prefix,
        "previous_token_expires_at": directory.previous_token_expires_at.isoformat()
        if directory.previous_token_expires_at
        else None,
        "actor": actor,
    }


async def rotate_directory_token(
    principal: Principal, directory_id: str, overlap: timedelta = DEFAULT_TOKEN_OVERLAP
) -> tuple[Directory, str]:
    """A second token. The IdP's current one keeps working until the rotation is completed
    (or cancelled), or until `overlap` has passed, so provisioning never stops while the IT
    admin pastes the new one. Rotating again during an overlap replaces the unused new token
    and keeps the one the IdP still sends."""
    require(principal, Permission.DIRECTORIES_WRITE)
    token, token_hash = _new_token()
    async with in_transaction():
        directory = await _directory_for_change(principal, directory_id)
        if not rotating(directory):
            directory.previous_token_hash = directory.token_hash
            directory.previous_token_prefix = directory.token_prefix
        directory.previous_token_expires_at = datetime.now(UTC) + overlap
        directory.token_hash = token_hash
        directory.token_prefix = token[:9]
        await directory.save()
        await record_event(
            "dsync.token_rotated",
            directory.organization_id,
            _rotation_data(directory, principal.actor),
        )
    return directory, token


async def complete_directory_token_rotation(principal: Principal, directory_id: str) -> Directory:
    """The IdP sends the new token now: the old one stops working."""
    return await _end_rotation(principal, directory_id, cancel=False)


async def cancel_directory_token_rotation(principal: Principal, directory_id: str) -> Directory:
    """Drop the new token; the one the IdP has keeps working, as before the rotation."""
    return await _end_rotation(principal, directory_id, cancel=True)


async def _end_rotation(principal: Principal, directory_id: str, *, cancel: bool) -> Directory:
    require(principal, Permission.DIRECTORIES_WRITE)
    async with in_transaction():
        directory = await _directory_for_change(principal, directory_id)
        if not rotating(directory):
            raise DomainError.of(
                ErrorCode.NO_ROTATION_IN_PROGRESS,
                "No token rotation is in progress for this directory.",
                "directoryId",
            )
        data = _rotation_data(directory, principal.actor)
        if cancel:
            assert directory.previous_token_hash
            assert directory.previous_token_prefix
            directory.token_hash = directory.previous_token_hash
            directory.token_prefix = directory.previous_token_prefix
        directory.previous_token_hash = None
        directory.previous_token_prefix = None
        directory.previous_token_expires_at = None
        await directory.save()
        await record_event(
            "dsync.token_rotation_cancelled" if cancel else "dsync.token_rotation_completed",
            directory.organization_id,
            data,
        )
    return directory


async def delete_directory(principal: Principal, directory_id: str) -> str:
    """Removes the directory and its mirror; the members it made stay, as they are."""
    require(principal, Permission.DIRECTORIES_WRITE)
    async with in_transaction():
        directory = await _directory_for_change(principal, directory_id)
        data = directory_data(directory)
        await directory.delete()
        await record_event("dsync.deleted", directory.organization_id, data)
    return directory_id


def check_priority(priority: int) -> None:
    """Group → role mappings (directory and SSO alike): the highest priority wins."""
    if not 0 <= priority <= MAX_PRIORITY:
        raise DomainError.of(
            ErrorCode.INVALID_PRIORITY, f"Priority must be 0-{MAX_PRIORITY}.", "priority"
        )


M = TypeVar("M", bound=Model)


async def put_mapping(
    model: type[M],
    key: dict[str, Any],
    organization_id: str,
    role_slug: str | None,
    priority: int,
) -> M | None:
    """Create, change or (with `role_slug=None`) remove the group → role mapping at `key`."""
    existing = await model.get_or_none(**key)
    if role_slug is None:
        if existing is not None:
            await existing.delete()
        return None
    role = await role_by_slug(organization_id, role_slug, "roleSlug")
    if existing is None:
        return await model.create(**key, role_id=role.id, priority=priority)
    existing.update_from_dict({"role_id": role.id, "priority": priority})
    await existing.save()
    return existing


async def set_group_role_mapping(
    principal: Principal,
    directory_id: str,
    group_id: str,
    role_slug: str | None,
    priority: int = 0,
) -> GroupRoleMapping | None:
    """Map a group to a role (or remove the mapping with `role_slug=None`).

    Takes effect on the next change the directory pushes for each member; members already
    in the group are re-evaluated now (in PREVIEW: the held diff shows the new roles at once).
    """
    from gatehouse.resolvers.directories.roles import recompute_roles

    require(principal, Permission.DIRECTORIES_WRITE)
    check_id(group_id, "dirg", "directory group", "groupId")
    check_priority(priority)
    async with in_transaction():
        directory = await _directory_for_change(principal, directory_id)
        group = await DirectoryGroup.get_or_none(id=group_id, directory_id=directory.id)
        if group is None:
            raise DomainError.of(ErrorCode.GROUP_NOT_FOUND, "No such group.", "groupId")
        mapping = await put_mapping(
            GroupRoleMapping,
            {"directory_id": directory.id, "group_id": group.id},
            directory.organization_id,
            role_slug,
            priority,
        )
        await record_event(
            "dsync.group_role_mapping.updated",
            directory.organization_id,
            {
                "directory_id": directory.id,
                "group_id": group.id,
                "role": role_slug,
                "priority": priority,
            },
        )
        user_ids = await group.memberships.all().values_list("directory_user_id", flat=True)
        await recompute_roles(directory, [str(u) for u in user_ids])
    return mapping


async def list_directory_users(
    principal: Principal, directory_id: str, first: int | None, after: str | None
) -> Page[DirectoryUser]:
    require(principal, Permission.DIRECTORIES_READ)
    directory = await get_directory(principal, directory_id)
    query = DirectoryUser.filter(directory_id=directory_id)
    return await paginate(query if directory else empty(query), first, after)


async def list_directory_groups(
    principal: Principal, directory_id: str, first: int | None, after: str | None
) -> Page[DirectoryGroup]:
    require(principal, Permission.DIRECTORIES_READ)
    directory = await get_directory(principal, directory_id)
    query = DirectoryGroup.filter(directory_id=directory_id)
    return await paginate(query if directory else empty(query), first, after)


async def authenticate_directory(directory_id: str, token: str) -> Directory | None:
    """The directory a SCIM bearer token opens, only if it is the one in the URL: its token,
    or during a rotation's overlap the one it replaces."""
    if not has_prefix(directory_id, "dir"):
        return None  # not an ID (PostgreSQL refuses a NUL byte in a query)
    digest = hash_secret(token)
    directory = await reads.first(Directory, id=directory_id)
    if directory is None:
        return None
    if hmac.compare_digest(directory.token_hash, digest):
        return directory
    previous = directory.previous_token_hash
    if previous and rotating(directory) and hmac.compare_digest(previous, digest):
        return directory
    return None


async def touch_activity(directory: Directory) -> None:
    now = datetime.now(UTC)
    last = directory.last_activity_at
    if last is None or now - last > ACTIVITY_RESOLUTION:
        await Directory.filter(id=directory.id).update(last_activity_at=now)
        directory.last_activity_at = now

"""Directory-sync mutations."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import strawberry

from gatehouse import models
from gatehouse.models import DeprovisioningAction as ActionModel
from gatehouse.models import DirectoryMode as ModeModel
from gatehouse.models import DirectoryType as TypeModel
from gatehouse.resolvers.directories import lifecycle as directories
from gatehouse.resolvers.directories import preview
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.directory import (
    DeprovisioningAction,
    Directory,
    DirectoryType,
    GroupRoleMapping,
)
from gatehouse.schema.types.directory_preview import AppliedChanges, DirectoryMode


@strawberry.input(description="A new SCIM directory for an organization.")
class CreateDirectoryInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    name: str = strawberry.field(description="Display name, 1-200 characters.")
    type: DirectoryType = strawberry.field(
        default=TypeModel.GENERIC_SCIM, description="The identity provider."
    )
    deprovisioning_action: DeprovisioningAction = strawberry.field(
        default=ActionModel.DEACTIVATE, description="What a SCIM DELETE of a user does."
    )
    mode: DirectoryMode = strawberry.field(
        default=ModeModel.LIVE,
        description="LIVE (default) applies pushes at once; PREVIEW holds membership changes "
        "for review (`Directory.pendingChanges`) until `applyDirectoryChanges`.",
    )


@strawberry.input(description="The directory to act on.")
class DirectoryInput:
    directory_id: strawberry.ID = strawberry.field(description="The directory.")


@strawberry.input(description="Map a directory group to a role, or remove the mapping.")
class SetGroupRoleMappingInput:
    directory_id: strawberry.ID = strawberry.field(description="The directory.")
    group_id: strawberry.ID = strawberry.field(description="A `dirg_…` group of the directory.")
    role_slug: str | None = strawberry.field(
        default=None, description="Role for the group's members; null removes the mapping."
    )
    priority: int = strawberry.field(
        default=0, description="0-1000000; the highest wins for users in several groups."
    )


@strawberry.type(description="Result of `createDirectory` and `rotateDirectoryToken`.")
class DirectoryTokenPayload:
    directory: Directory | None = strawberry.field(description="The directory.")
    bearer_token: str | None = strawberry.field(
        description="The SCIM bearer token, shown this once: give it to the identity provider "
        "now, it cannot be read again."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(
    description="Result of `completeDirectoryTokenRotation` and `cancelDirectoryTokenRotation`."
)
class DirectoryPayload:
    directory: Directory | None = strawberry.field(description="The directory.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _directory_payload(
    directory: models.Directory | None, errors: list[UserError]
) -> DirectoryPayload:
    return DirectoryPayload(
        directory=Directory.from_model(directory) if directory else None, user_errors=errors
    )


@strawberry.type(description="Result of `setGroupRoleMapping`.")
class SetGroupRoleMappingPayload:
    mapping: GroupRoleMapping | None = strawberry.field(
        description="The mapping; null when it was removed or refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `applyDirectoryChanges`.")
class ApplyDirectoryChangesPayload:
    directory: Directory | None = strawberry.field(description="The directory, now LIVE.")
    applied: AppliedChanges | None = strawberry.field(description="What was applied.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `discardDirectoryChanges`.")
class DiscardDirectoryChangesPayload:
    directory: Directory | None = strawberry.field(description="The directory, still PREVIEW.")
    discarded_users: int | None = strawberry.field(
        description="Mirrored users dropped (their groups went too)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `deleteDirectory`.")
class DeleteDirectoryPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="ID of the deleted directory.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _token_payload(
    info: Info, result: tuple[models.Directory, str] | None, errors: list[UserError]
) -> DirectoryTokenPayload:
    if result is None:
        return DirectoryTokenPayload(directory=None, bearer_token=None, user_errors=errors)
    directory, token = result
    return DirectoryTokenPayload(
        directory=Directory.from_model(directory),
        bearer_token=token,
        user_errors=[],
    )


@strawberry.type
class DirectoryMutations:
    @strawberry.mutation(
        description="Create a SCIM directory; returns its base URL and bearer token (once). "
        "Requires `directories:write`."
    )
    async def create_directory(
        self,
        info: Info,
        input: Annotated[
            CreateDirectoryInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> DirectoryTokenPayload:
        return _token_payload(
            info,
            *await mutate(
                directories.create_directory(
                    info.context.principal,
                    str(input.organization_id),
                    input.name,
                    input.type,
                    input.deprovisioning_action,
                    input.mode,
                )
            ),
        )

    @strawberry.mutation(
        description="Issue a second bearer token. Both work until "
        "`completeDirectoryTokenRotation`, or until the overlap "
        "(`GATEHOUSE_DIRECTORY_TOKEN_OVERLAP_SECONDS`, 7 days by default) ends; "
        "`cancelDirectoryTokenRotation` drops the new one. Requires `directories:write`."
    )
    async def rotate_directory_token(
        self,
        info: Info,
        input: Annotated[DirectoryInput, strawberry.argument(description="The mutation's input.")],
    ) -> DirectoryTokenPayload:
        overlap = timedelta(seconds=info.context.settings.directory_token_overlap_seconds)
        return _token_payload(
            info,
            *await mutate(
                directories.rotate_directory_token(
                    info.context.principal, str(input.directory_id), overlap
                )
            ),
        )

    @strawberry.mutation(
        description="End a token rotation: only the new bearer token works from now on. "
        "Requires `directories:write`."
    )
    async def complete_directory_token_rotation(
        self,
        info: Info,
        input: Annotated[DirectoryInput, strawberry.argument(description="The mutation's input.")],
    ) -> DirectoryPayload:
        return _directory_payload(
            *await mutate(
                directories.complete_directory_token_rotation(
                    info.context.principal, str(input.directory_id)
                )
            )
        )

    @strawberry.mutation(
        description="Abandon a token rotation: the new bearer token is dropped, the previous "
        "one keeps working. Requires `directories:write`."
    )
    async def cancel_directory_token_rotation(
        self,
        info: Info,
        input: Annotated[DirectoryInput, strawberry.argument(description="The mutation's input.")],
    ) -> DirectoryPayload:
        return _directory_payload(
            *await mutate(
                directories.cancel_directory_token_rotation(
                    info.context.principal, str(input.directory_id)
                )
            )
        )

    @strawberry.mutation(
        description="Map a directory group to a role (members re-evaluated now). "
        "Requires `directories:write`."
    )
    async def set_group_role_mapping(
        self,
        info: Info,
        input: Annotated[
            SetGroupRoleMappingInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> SetGroupRoleMappingPayload:
        mapping, errors = await mutate(
            directories.set_group_role_mapping(
                info.context.principal,
                str(input.directory_id),
                str(input.group_id),
                input.role_slug,
                input.priority,
            )
        )
        return SetGroupRoleMappingPayload(
            mapping=GroupRoleMapping(priority=mapping.priority, _model=mapping)
            if mapping
            else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Delete a directory and its mirror; the members it made stay. "
        "Requires `directories:write`."
    )
    async def delete_directory(
        self,
        info: Info,
        input: Annotated[DirectoryInput, strawberry.argument(description="The mutation's input.")],
    ) -> DeleteDirectoryPayload:
        deleted, errors = await mutate(
            directories.delete_directory(info.context.principal, str(input.directory_id))
        )
        return DeleteDirectoryPayload(
            deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Apply a PREVIEW directory's held changes (`pendingChanges`) in one "
        "transaction, with the usual membership events, and switch it to LIVE. "
        "DIRECTORY_NOT_IN_PREVIEW when it is LIVE already. Requires `directories:write`."
    )
    async def apply_directory_changes(
        self,
        info: Info,
        input: Annotated[DirectoryInput, strawberry.argument(description="The mutation's input.")],
    ) -> ApplyDirectoryChangesPayload:
        result, errors = await mutate(
            preview.apply_changes(info.context.principal, str(input.directory_id))
        )
        if result is None:
            return ApplyDirectoryChangesPayload(directory=None, applied=None, user_errors=errors)
        directory, counts = result
        return ApplyDirectoryChangesPayload(
            directory=Directory.from_model(directory),
            applied=AppliedChanges(
                joiners=counts.joiners, movers=counts.movers, leavers=counts.leavers
            ),
            user_errors=[],
        )

    @strawberry.mutation(
        description="Drop a PREVIEW directory's held changes: its mirrored users and groups "
        "(and their mappings) are deleted, nothing is applied, it stays in PREVIEW; restart "
        "provisioning in the IdP to push again. Requires `directories:write`."
    )
    async def discard_directory_changes(
        self,
        info: Info,
        input: Annotated[DirectoryInput, strawberry.argument(description="The mutation's input.")],
    ) -> DiscardDirectoryChangesPayload:
        result, errors = await mutate(
            preview.discard_changes(info.context.principal, str(input.directory_id))
        )
        if result is None:
            return DiscardDirectoryChangesPayload(
                directory=None, discarded_users=None, user_errors=errors
            )
        directory, users = result
        return DiscardDirectoryChangesPayload(
            directory=Directory.from_model(directory), discarded_users=users, user_errors=[]
        )

"""People as people (the operator's): profiles, merges and erasure."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from gatehouse.resolvers.users import erasure, lifecycle, merge
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.mutations.maybe import given
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.member import User


@strawberry.input(description="Profile changes; omitted fields stay as they are.")
class UpdateUserInput:
    user_id: strawberry.ID = strawberry.field(description="The user.")
    first_name: strawberry.Maybe[str | None] = strawberry.field(
        description="Given name; null clears it."
    )
    last_name: strawberry.Maybe[str | None] = strawberry.field(
        description="Family name; null clears it."
    )
    external_id: strawberry.Maybe[str | None] = strawberry.field(
        description="Your own ID for the person, unique in the deployment; null clears it."
    )
    metadata: strawberry.Maybe[JSON | None] = strawberry.field(
        description="Replaces the metadata object; null clears it."
    )


@strawberry.input(description="Two users who are one person.")
class MergeUsersInput:
    source_user_id: strawberry.ID = strawberry.field(
        description="The user merged away (deleted once everything moved)."
    )
    target_user_id: strawberry.ID = strawberry.field(description="The user that remains.")


@strawberry.input(description="The user to erase.")
class DeleteUserInput:
    user_id: strawberry.ID = strawberry.field(description="The user.")


@strawberry.type(description="Result of `updateUser` and `mergeUsers`.")
class UserPayload:
    user: User | None = strawberry.field(description="The user after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `deleteUser`.")
class DeleteUserPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="ID of the erased user.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type
class UserMutations:
    @strawberry.mutation(
        description="Change a person's profile (names, external ID, metadata); writes "
        "`user.updated`. Requires `users:manage` (operators only): a user is the same person "
        "in every organization."
    )
    async def update_user(
        self,
        info: Info,
        input: Annotated[UpdateUserInput, strawberry.argument(description="The mutation's input.")],
    ) -> UserPayload:
        user, errors = await mutate(
            lifecycle.update_user(
                info.context.principal,
                str(input.user_id),
                first_name=given(input.first_name),
                last_name=given(input.last_name),
                external_id=given(input.external_id),
                metadata=given(input.metadata),
            )
        )
        return UserPayload(user=User.from_model(user) if user else None, user_errors=errors)

    @strawberry.mutation(
        description="Merge two users who are one person, in one transaction: memberships "
        "(where both belong to an organization the target's stays), linked SSO identities, "
        "directory links and sessions move to the target, then the source is deleted; a "
        "pending email of the target's that was the source's address becomes its email. "
        "Writes `user.merged`. Requires `users:manage` (operators only)."
    )
    async def merge_users(
        self,
        info: Info,
        input: Annotated[MergeUsersInput, strawberry.argument(description="The mutation's input.")],
    ) -> UserPayload:
        result, errors = await mutate(
            merge.merge_users(
                info.context.principal, str(input.source_user_id), str(input.target_user_id)
            )
        )
        user = User.from_model(result.target) if result else None
        return UserPayload(user=user, user_errors=errors)

    @strawberry.mutation(
        description="Erase a person: memberships, sessions, linked SSO identities, the "
        "directory users that mirror them, invitations and sign-in codes go in one "
        "transaction, and their address, names and directory attributes are scrubbed from "
        "every event that holds them (the events and ids stay). Writes `user.deleted` with ids "
        "only. Requires `users:manage` (operators only)."
    )
    async def delete_user(
        self,
        info: Info,
        input: Annotated[DeleteUserInput, strawberry.argument(description="The mutation's input.")],
    ) -> DeleteUserPayload:
        deleted, errors = await mutate(
            erasure.delete_user(info.context.principal, str(input.user_id))
        )
        return DeleteUserPayload(
            deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )

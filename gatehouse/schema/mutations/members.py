"""Membership mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gatehouse import models
from gatehouse.models import MemberStatus as Status
from gatehouse.resolvers import members
from gatehouse.resolvers.sign_in import enrollment
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.member import Member


@strawberry.input(description="Add a person to an organization directly (source MANUAL).")
class CreateMemberInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    email: str = strawberry.field(description="Their email; the user is created if new.")
    role_slug: str | None = strawberry.field(
        default=None, description="Role slug; the policy's default role when omitted."
    )
    first_name: str | None = strawberry.field(default=None, description="Given name.")
    last_name: str | None = strawberry.field(default=None, description="Family name.")


@strawberry.input(description="A member's new role.")
class UpdateMemberRoleInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    role_slug: str = strawberry.field(description="Slug of a role in their organization.")


@strawberry.input(description="The member to act on.")
class MemberInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")


@strawberry.input(description="Whether an admin may sign in around SSO (break-glass).")
class SetMemberSsoBypassInput:
    member_id: strawberry.ID = strawberry.field(description="The member (an active admin).")
    may_bypass_sso: bool = strawberry.field(
        description="True: an emailed code works for them where the policy allows only SSO."
    )


@strawberry.type(description="Result of a membership mutation.")
class MemberPayload:
    member: Member | None = strawberry.field(description="The member after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `removeMember`.")
class RemoveMemberPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="ID of the removed member.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _payload(model: models.Member | None, errors: list[UserError]) -> MemberPayload:
    member = Member.from_model(model) if model is not None else None
    return MemberPayload(member=member, user_errors=errors)


@strawberry.type
class MemberMutations:
    @strawberry.mutation(description="Add a member. Requires `members:write`.")
    async def create_member(
        self,
        info: Info,
        input: Annotated[
            CreateMemberInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> MemberPayload:
        return _payload(
            *await mutate(
                members.create_member(
                    info.context.principal,
                    str(input.organization_id),
                    input.email,
                    input.role_slug,
                    input.first_name,
                    input.last_name,
                )
            )
        )

    @strawberry.mutation(
        description="Change a member's role; the last active admin keeps "
        "theirs. Requires `members:write`."
    )
    async def update_member_role(
        self,
        info: Info,
        input: Annotated[
            UpdateMemberRoleInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> MemberPayload:
        return _payload(
            *await mutate(
                members.update_member_role(
                    info.context.principal, str(input.member_id), input.role_slug
                )
            )
        )

    @strawberry.mutation(
        description="Deactivate a member and revoke their sessions. Requires `members:write`."
    )
    async def deactivate_member(
        self,
        info: Info,
        input: Annotated[MemberInput, strawberry.argument(description="The mutation's input.")],
    ) -> MemberPayload:
        return _payload(
            *await mutate(
                members.set_member_status(
                    info.context.principal, str(input.member_id), Status.INACTIVE
                )
            )
        )

    @strawberry.mutation(description="Reactivate a member. Requires `members:write`.")
    async def reactivate_member(
        self,
        info: Info,
        input: Annotated[MemberInput, strawberry.argument(description="The mutation's input.")],
    ) -> MemberPayload:
        return _payload(
            *await mutate(
                members.set_member_status(
                    info.context.principal, str(input.member_id), Status.ACTIVE
                )
            )
        )

    @strawberry.mutation(
        description="Approve a request to join (a PENDING member): they become ACTIVE and can "
        "sign in. Requires `members:write`; NOT_PENDING if there is no request."
    )
    async def approve_membership(
        self,
        info: Info,
        input: Annotated[MemberInput, strawberry.argument(description="The mutation's input.")],
    ) -> MemberPayload:
        return _payload(
            *await mutate(
                enrollment.approve_membership(info.context.principal, str(input.member_id))
            )
        )

    @strawberry.mutation(
        description="Deny a request to join: the member becomes INACTIVE, so signing in again "
        "does not ask again (an invitation or `reactivateMember` still can). Requires "
        "`members:write`; NOT_PENDING if there is no request."
    )
    async def deny_membership(
        self,
        info: Info,
        input: Annotated[MemberInput, strawberry.argument(description="The mutation's input.")],
    ) -> MemberPayload:
        return _payload(
            *await mutate(enrollment.deny_membership(info.context.principal, str(input.member_id)))
        )

    @strawberry.mutation(
        description="Let an admin sign in by emailed code where the policy allows only SSO, "
        "for when the IdP is down; recorded as an event. Only on active admins "
        "(SSO_BYPASS_ADMINS_ONLY), and only by the operator or another admin's session "
        "(FORBIDDEN for organization keys and for the admin themselves). Requires "
        "`members:write`."
    )
    async def set_member_sso_bypass(
        self,
        info: Info,
        input: Annotated[
            SetMemberSsoBypassInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> MemberPayload:
        return _payload(
            *await mutate(
                members.set_member_sso_bypass(
                    info.context.principal, str(input.member_id), input.may_bypass_sso
                )
            )
        )

    @strawberry.mutation(
        description="Remove a member from the organization (the user stays). "
        "Requires `members:write`."
    )
    async def remove_member(
        self,
        info: Info,
        input: Annotated[MemberInput, strawberry.argument(description="The mutation's input.")],
    ) -> RemoveMemberPayload:
        deleted, errors = await mutate(
            members.remove_member(info.context.principal, str(input.member_id))
        )
        return RemoveMemberPayload(
            deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )

"""Accepting an invitation: the token is the credential, so no Principal is needed.

One transaction creates (or completes) the user, creates the ACTIVE membership, settles the
invitation and signs the person in: an authentication (access and refresh tokens) over GraphQL,
or, from the hosted page, a one-time code for the operator's app to trade at POST /sso/token.
Where the organization's policy does not admit the invitation as a way in (SSO only), the
membership is still made and the answer is its SSO sign-in URL instead of tokens.
The invitation row is read `FOR UPDATE`: of two concurrent accepts, the second waits, then sees
ACCEPTED and is refused, so exactly one member results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gatehouse.auth.secrets import hash_secret, secret_matches
from gatehouse.events import record_event
from gatehouse.models import (
    AuthenticationMethod,
    Invitation,
    InvitationState,
    Member,
    MemberSource,
    MemberStatus,
    Organization,
    Role,
    User,
)
from gatehouse.resolvers.directories.sync import claim_held
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator
from gatehouse.resolvers.invitations import clock
from gatehouse.resolvers.invitations.lifecycle import invitation_data
from gatehouse.resolvers.members import membership_data, role_by_slug
from gatehouse.resolvers.sign_in.admission import AuthMethodNotAllowed, check_admission, with_query
from gatehouse.resolvers.sign_in.authentication import Authentication, authenticate_member
from gatehouse.resolvers.sign_in.handoff import issue_handoff_code
from gatehouse.resolvers.validation import clean_name
from gatehouse.settings import Settings

MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True, slots=True)
class Acceptance:
    member: Member
    invitation: Invitation
    authentication: Authentication | None = None
    # The hosted page's hand-off: where to send the browser, with this one-time code.
    redirect_uri: str | None = None
    handoff_code: str | None = None
    # The organization does not admit the invitation as a way in: sign in through its SSO.
    authorize_url: str | None = None


def _check_usable(invitation: Invitation | None, token: str, at: datetime) -> Invitation:
    # The row was found by the SHA-256 of the token (timing reveals nothing about the token);
    # the constant-time comparison states the rule explicitly (SECURITY.md 29).
    if invitation is None or not any(
        h is not None and secret_matches(token, h)
        for h in (invitation.token_hash, invitation.previous_token_hash)
    ):
        raise DomainError.of(ErrorCode.INVALID_TOKEN, "This invitation link is not valid.", "token")
    state = invitation.state_at(at)
    if state is InvitationState.ACCEPTED:
        raise DomainError.of(
            ErrorCode.INVITATION_ACCEPTED, "This invitation was already accepted.", "token"
        )
    if state is InvitationState.REVOKED:
        raise DomainError.of(ErrorCode.INVITATION_REVOKED, "This invitation was revoked.", "token")
    if state is InvitationState.EXPIRED:
        raise DomainError.of(ErrorCode.INVITATION_EXPIRED, "This invitation has expired.", "token")
    return invitation


def _by_token(token_hash: str) -> QuerySet[Invitation]:
    return Invitation.filter(Q(token_hash=token_hash) | Q(previous_token_hash=token_hash))


def _token_hash(token: str) -> str:
    token = (token or "").strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise DomainError.of(ErrorCode.INVALID_TOKEN, "This invitation link is not valid.", "token")
    return hash_secret(token)


async def invitation_for_token(token: str) -> Invitation:
    """The usable invitation this token opens (for the hosted page); nothing is changed."""
    found = await _by_token(_token_hash(token)).first()
    return _check_usable(found, token.strip(), clock.now())


async def _role_for(invitation: Invitation) -> Role:
    role = await Role.get_or_none(id=invitation.role_id) if invitation.role_id else None
    if role is not None:
        return role
    org = await Organization.get(id=invitation.organization_id)
    return await role_by_slug(org.id, org.default_role_slug, "token")


async def _user_for(email: str, names: dict[str, str]) -> User:
    user, created = await User.get_or_create(
        email=email, defaults={**names, "email_verified": True}
    )
    if not created:
        # Following the emailed link proves the mailbox; names fill gaps, never overwrite.
        user.email_verified = True
        for key, value in names.items():
            if not getattr(user, key):
                setattr(user, key, value)
        await user.save()
    return user


async def settle(
    invitation: Invitation, user: User, member: Member, role: Role, at: datetime
) -> None:
    """Mark the invitation accepted by `user` as `member`, with its event."""
    invitation.state = InvitationState.ACCEPTED
    invitation.accepted_at = at
    invitation.accepted_by_id = user.id
    invitation.pending_key = None
    invitation.next_send_at = None
    await invitation.save()
    await record_event(
        "invitation.accepted",
        invitation.organization_id,
        {
            **invitation_data(invitation, role.slug),
            "accepted_by_user_id": user.id,
            "member_id": member.id,
        },
    )


async def accept_invitation(
    token: str,
    first_name: str | None = None,
    last_name: str | None = None,
    *,
    settings: Settings,
    hand_off: bool = False,
) -> Acceptance:
    """Over GraphQL, the authentication; from the hosted page (`hand_off`), a one-time code
    for the invitation's redirect URI (or the first allow-listed one; none if there is none)."""
    v = Validator()
    names: dict[str, str] = {}
    for key, value, field in (
        ("first_name", first_name, "firstName"),
        ("last_name", last_name, "lastName"),
    ):
        if value is not None and value.strip():
            names[key] = clean_name(v, value, field, max_len=100)
    v.check()
    token_hash = _token_hash(token)
    at = clock.now()
    async with in_transaction():
        found = await _by_token(token_hash).select_for_update().first()
        invitation = _check_usable(found, token.strip(), at)
        role = await _role_for(invitation)
        user = await _user_for(invitation.email, names)
        await claim_held(user)  # following the link proves the address
        member = (
            await Member.filter(organization_id=invitation.organization_id, user_id=user.id)
            .select_for_update()
            .first()
        )
        if member is not None and member.status is MemberStatus.ACTIVE:
            raise DomainError.of(
                ErrorCode.MEMBER_EXISTS, "You are already a member of this organization.", "token"
            )
        membership_event = "organization_membership.created"
        if member is None:
            member = await Member.create(
                organization_id=invitation.organization_id,
                user=user,
                role=role,
                status=MemberStatus.ACTIVE,
                source=MemberSource.INVITATION,
            )
        else:
            # An inactive member re-invited by an admin comes back with the invited role.
            member.status = MemberStatus.ACTIVE
            member.role_id = role.id
            await member.save()
            membership_event = "organization_membership.updated"
        await settle(invitation, user, member, role, at)
        await record_event(
            membership_event, invitation.organization_id, membership_data(member, role.slug)
        )
        if not hand_off:
            try:
                authentication = await authenticate_member(
                    member, AuthenticationMethod.INVITATION, settings
                )
            except AuthMethodNotAllowed as refused:
                # Raised before anything of the session was written: the membership stands,
                # and the person signs in the way the organization allows.
                return Acceptance(member, invitation, authorize_url=refused.authorize_url)
            return Acceptance(member, invitation, authentication=authentication)
        redirect_uri = invitation.redirect_uri or next(iter(settings.redirect_uris), None)
        try:
            await check_admission(
                await Organization.get(id=member.organization_id),
                member,
                AuthenticationMethod.INVITATION,
                None,
                base_url=settings.base_url,
            )
        except AuthMethodNotAllowed as refused:
            url = refused.authorize_url and with_query(
                refused.authorize_url, redirect_uri=redirect_uri, login_hint=user.email
            )
            return Acceptance(member, invitation, authorize_url=url)
        if redirect_uri is None:
            return Acceptance(member, invitation)
        code = await issue_handoff_code(AuthenticationMethod.INVITATION, member=member)
        return Acceptance(member, invitation, redirect_uri=redirect_uri, handoff_code=code)

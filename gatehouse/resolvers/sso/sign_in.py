"""Finishing an SSO sign-in: the profile → linked identity → user and member → a code. A
newcomer joins by a pending invitation, JIT, or the verified domain's enrollment mode.

SAML and OIDC (sso/saml.py, sso/oidc.py) each turn the IdP's answer into an `SsoProfile`;
from there one path decides who signs in, records the event and issues the one-time code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.events import record_event
from gatehouse.models import (
    AuthenticationMethod,
    Connection,
    ConnectionState,
    Domain,
    Invitation,
    InvitationState,
    LinkedIdentity,
    Member,
    MemberSource,
    MemberStatus,
    Organization,
    Role,
    SsoCode,
    User,
    fitted_name,
)
from gatehouse.models.base import column_length
from gatehouse.resolvers.directories.sync import claim_held
from gatehouse.resolvers.domains.lifecycle import verified_domain_for_email
from gatehouse.resolvers.invitations import clock as invitation_clock
from gatehouse.resolvers.invitations.accept import settle
from gatehouse.resolvers.members import membership_data
from gatehouse.resolvers.sign_in.enrollment import enroll, lock_domain
from gatehouse.resolvers.sign_in.handoff import issue_handoff_code
from gatehouse.resolvers.sso.connections import complete_validation
from gatehouse.resolvers.sso.group_roles import follow_idp_groups, role_for_groups
from gatehouse.resolvers.users.linking import may_move, organization_owns
from gatehouse.resolvers.users.profiles import change_email
from gatehouse.resolvers.validation import normalize_email

# Ended sessions stay a day (who was signed in, for the logs and support), then go.
SESSION_KEPT_AFTER_END = timedelta(days=1)
MAX_SUBJECT = column_length(LinkedIdentity, "subject")
MAX_EMAIL = column_length(User, "email")


def now() -> datetime:
    """The clock every SSO expiry reads; tests move it instead of sleeping."""
    return datetime.now(UTC)


class SignInRefused(Exception):
    """The sign-in cannot complete; `reason` goes into the sso_failed event (no secrets)."""

    def __init__(self, reason: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class SsoProfile:
    """One IdP's answer, normalized. `subject` is the IdP's stable ID (SAML NameID, OIDC sub)."""

    subject: str
    email: str
    email_verified: bool
    first_name: str | None = None
    last_name: str | None = None
    groups: list[str] = field(default_factory=list)
    raw_attributes: dict[str, Any] = field(default_factory=dict)

    def data(self, connection: Connection) -> dict[str, Any]:
        return {
            **asdict(self),
            "connection_id": connection.id,
            "connection_type": connection.type.value,
            "organization_id": connection.organization_id,
        }


async def record_failure(
    connection: Connection | None, reason: str, detail: str | None = None
) -> None:
    async with in_transaction():
        await record_event(
            "authentication.sso_failed",
            connection.organization_id if connection else None,
            {
                "connection_id": connection.id if connection else None,
                "reason": reason,
                "detail": (detail or "")[:300],
            },
        )


async def usable_connection(connection_id: str) -> Connection:
    return check_usable(await Connection.get_or_none(id=connection_id))


def check_usable(conn: Connection | None) -> Connection:
    """The connection, if it may sign anyone in; else the refusal that says why."""
    if conn is None:
        raise SignInRefused("unknown_connection", "Unknown connection.", 404)
    if conn.state not in (ConnectionState.ACTIVE, ConnectionState.VALIDATING):
        # SECURITY 13: DRAFT and INACTIVE connections refuse everything.
        raise SignInRefused("connection_inactive", "This connection is not active.", 403)
    return conn


async def _find_user(conn: Connection, profile: SsoProfile) -> tuple[User | None, bool]:
    """The user this identity belongs to, and whether the identity link is new.

    Subject first (never a mutable email alone: the nOAuth takeover, SECURITY 19); then email,
    only when the IdP vouches for it and the connection's organization verified its domain.
    """
    identity = await LinkedIdentity.get_or_none(connection_id=conn.id, subject=profile.subject)
    if identity is not None:
        return await User.get(id=identity.user_id), False
    user = await User.get_or_none(email=profile.email)
    if user is None:
        return None, True
    domain = await verified_domain_for_email(profile.email)
    if (
        not profile.email_verified
        or domain is None
        or domain.organization_id != conn.organization_id
    ):
        # SECURITY 19, 22: an unverified or foreign-domain email never links to an account.
        raise SignInRefused(
            "email_not_linkable",
            "This email belongs to an existing account that this connection cannot sign in.",
            403,
        )
    return user, True


async def _apply_profile(conn: Connection, user: User, profile: SsoProfile) -> None:
    """Names follow the IdP; so does the email, between addresses at domains this
    connection's organization proved it owns. Another user's address is never taken over (a
    conflict the operator settles, users/profiles.py), and an email change never creates a
    second account."""
    changed = False
    for key in ("first_name", "last_name"):
        value = fitted_name(getattr(profile, key))
        if value and getattr(user, key) != value:
            setattr(user, key, value)
            changed = True
    if changed:
        await user.save(update_fields=["first_name", "last_name", "updated_at"])
    if (
        profile.email != user.email
        and profile.email_verified
        and await may_move(conn.organization_id, user.email, profile.email)
    ):
        await change_email(user, profile.email, {"connection_id": conn.id})


async def _jit_create_user(org: Organization, profile: SsoProfile) -> User:
    domain = await verified_domain_for_email(profile.email)
    if domain is None or domain.organization_id != org.id:
        # A global account for an address the organization does not own would squat it.
        raise SignInRefused(
            "email_domain_not_verified",
            "The email's domain is not verified by this organization.",
            403,
        )
    return await User.create(
        email=profile.email,
        email_verified=profile.email_verified,
        first_name=fitted_name(profile.first_name),
        last_name=fitted_name(profile.last_name),
    )


async def _pending_invitation(org: Organization, email: str) -> Invitation | None:
    return (
        await Invitation.filter(
            organization_id=org.id,
            email=email,
            state=InvitationState.PENDING,
            expires_at__gt=invitation_clock.now(),
        )
        .order_by("-created_at")
        .select_for_update()
        .first()
    )


async def _join(org: Organization, user: User, role: Role, source: MemberSource) -> Member:
    member = await Member.create(organization=org, user=user, role=role, source=source)
    await record_event(
        "organization_membership.created", org.id, membership_data(member, role.slug)
    )
    return member


async def _accept(invitation: Invitation, org: Organization, user: User) -> Member:
    """The organization's own IdP vouched for the invited address: the invitation is accepted,
    with the invited role, whatever JIT says."""
    role = await Role.get_or_none(id=invitation.role_id) if invitation.role_id else None
    role = role or await Role.get_or_none(organization_id=org.id, slug=org.default_role_slug)
    if role is None:
        raise SignInRefused("default_role_missing", "No default role is set.", 409)
    member = await _join(org, user, role, MemberSource.INVITATION)
    await settle(invitation, user, member, role, invitation_clock.now())
    return member


async def _member_for(
    org: Organization,
    conn: Connection,
    domain: Domain | None,
    user: User | None,
    profile: SsoProfile,
) -> tuple[Member, User, bool]:
    """The member signing in, and whether it is new. A newcomer joins by, in order: a pending
    invitation to their address, JIT (when both the organization and the connection allow it),
    or the enrollment mode of the organization's verified domain. The member returned may be
    PENDING (a join request just made): the caller commits it and refuses the sign-in."""
    if user is not None:
        member = await Member.filter(organization_id=org.id, user_id=user.id).first()
        if member is not None:
            if member.status is MemberStatus.PENDING:
                raise SignInRefused(
                    "membership_pending_approval",
                    "The request to join this organization waits for an admin's approval.",
                    403,
                )
            if member.status is not MemberStatus.ACTIVE:
                raise SignInRefused("member_inactive", "This membership is not active.", 403)
            return member, user, False
    invitation = await _pending_invitation(org, profile.email)
    if invitation is not None:
        user = user or await _jit_create_user(org, profile)
        return await _accept(invitation, org, user), user, True
    if org.jit_provisioning and conn.jit_provisioning:
        user = user or await _jit_create_user(org, profile)
        role = await role_for_groups(conn, profile.groups) or await Role.get_or_none(
            organization_id=org.id, slug=org.default_role_slug
        )
        if role is None:
            raise SignInRefused("default_role_missing", "No default role is set.", 409)
        return await _join(org, user, role, MemberSource.JIT), user, True
    if domain is not None and domain.organization_id == org.id and profile.email_verified:
        names = {
            key: value
            for key, value in (
                ("first_name", fitted_name(profile.first_name)),
                ("last_name", fitted_name(profile.last_name)),
            )
            if value
        }
        user, member = await enroll(domain, profile.email, user, names=names)
        if member is not None and user is not None:
            return member, user, True
    raise SignInRefused(
        "invitation_required",
        "This organization requires an invitation before the first sign-in.",
        403,
    )


async def complete_sign_in(connection_id: str, profile: SsoProfile) -> tuple[Member, str]:
    """Resolve the member (JIT when allowed), record success, return the member and a code."""
    profile = SsoProfile(**{**asdict(profile), "email": normalize_email(profile.email)})
    if len(profile.subject) > MAX_SUBJECT or len(profile.email) > MAX_EMAIL:
        # Before anything is looked up or stored: the columns that keep them are this long.
        raise SignInRefused(
            "profile_too_long", "The IdP's subject or email is longer than Gatehouse keeps."
        )
    pending = False
    async with in_transaction():
        conn = await Connection.filter(id=connection_id).select_for_update().first()
        if conn is None or conn.state not in (ConnectionState.ACTIVE, ConnectionState.VALIDATING):
            raise SignInRefused("connection_inactive", "This connection is not active.", 403)
        org = await Organization.get(id=conn.organization_id)
        if not org.sso_allowed:
            raise SignInRefused(
                "auth_method_not_allowed", "This organization does not allow SSO sign-in.", 403
            )
        # Before anyone is looked up: a concurrent first sign-in by another way waits here.
        domain = await lock_domain(profile.email)
        user, new_link = await _find_user(conn, profile)
        member, user, created = await _member_for(org, conn, domain, user, profile)
        if member.status is MemberStatus.PENDING:
            pending = True  # the request commits; the sign-in is refused below
        else:
            await follow_idp_groups(conn, member, profile.groups)
            code = await _signed_in(conn, org, user, member, profile, new_link, created)
    if pending:
        raise SignInRefused(
            "membership_pending_approval",
            "The request to join this organization waits for an admin's approval.",
            403,
        )
    return member, code


async def _signed_in(
    conn: Connection,
    org: Organization,
    user: User,
    member: Member,
    profile: SsoProfile,
    new_link: bool,
    created: bool,
) -> str:
    await _apply_profile(conn, user, profile)
    if (
        profile.email_verified
        and profile.email == user.email
        and await organization_owns(org.id, user.email)
    ):
        # The IdP of the organization that owns the address vouched for it: a proof, as a
        # typed code is, so directories holding this address may link it now.
        await claim_held(user)
    if new_link:
        await LinkedIdentity.create(
            connection=conn, subject=profile.subject, user=user, last_sign_in_at=now()
        )
    else:
        await LinkedIdentity.filter(connection_id=conn.id, subject=profile.subject).update(
            last_sign_in_at=now()
        )
    if conn.state is ConnectionState.VALIDATING:
        await complete_validation(conn)
    code = await issue_handoff_code(
        AuthenticationMethod.SSO,
        member=member,
        connection_id=conn.id,
        profile=profile.data(conn),
    )
    await record_event(
        "authentication.sso_succeeded",
        org.id,
        {
            "connection_id": conn.id,
            "connection_type": conn.type.value,
            "user_id": user.id,
            "member_id": member.id,
            "jit": created,
        },
    )
    return code


async def purge_expired() -> int:
    """Drop sign-in state nobody can use any more (run periodically by the worker)."""
    from gatehouse.models import (
        PendingAuthentication,
        SamlAssertionId,
        Session,
        SignInCode,
        SsoRequest,
    )

    cutoff = now()
    removed = await SsoRequest.filter(expires_at__lte=cutoff).delete()
    removed += await SsoCode.filter(expires_at__lte=cutoff).delete()
    removed += await SamlAssertionId.filter(expires_at__lte=cutoff).delete()
    removed += await SignInCode.filter(expires_at__lte=cutoff).delete()
    removed += await PendingAuthentication.filter(expires_at__lte=cutoff).delete()
    # A session past its end takes its refresh tokens with it (ON DELETE CASCADE).
    removed += await Session.filter(expires_at__lte=cutoff - SESSION_KEPT_AFTER_END).delete()
    return removed

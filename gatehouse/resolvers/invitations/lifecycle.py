"""Invitations: invite by email with a role, resend, revoke, list. (Accepting: accept.py.)

Rules (issue 4): one pending invitation per person and organization (a second invite resends
it); an active member cannot be invited; the role must exist; expiry 1-30 days (default 7);
the organization's verified-domain restriction applies; an hourly per-organization limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import ALL_PERMISSIONS, Permission
from gatehouse.auth.principal import Principal
from gatehouse.auth.secrets import hash_secret
from gatehouse.events import record_event
from gatehouse.models import (
    Event,
    Invitation,
    InvitationState,
    Member,
    MemberStatus,
    Organization,
    Role,
    User,
)
from gatehouse.models.invitation import pending_key
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.domains.lifecycle import verified_domain_for_email
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator, not_found
from gatehouse.resolvers.invitations import clock
from gatehouse.resolvers.invitations.delivery import (
    SEND_LEASE,
    InvitationConfig,
    deliver,
    new_token,
)
from gatehouse.resolvers.organizations import organization_for_change
from gatehouse.resolvers.pagination import Page, empty, paginate
from gatehouse.resolvers.validation import check_id, clean_email

DEFAULT_EXPIRY_DAYS = 7
MIN_EXPIRY_DAYS = 1
MAX_EXPIRY_DAYS = 30
RATE_WINDOW = timedelta(hours=1)
# What counts against the hourly limit: every email an admin's action sends.
RATE_LIMITED_EVENTS = ("invitation.created", "invitation.resent")


def invitation_data(invitation: Invitation, role_slug: str | None) -> dict[str, Any]:
    # Never the token or its hash: events are readable by the organization.
    return {
        "id": invitation.id,
        "organization_id": invitation.organization_id,
        "email": invitation.email,
        "role": role_slug,
        "state": invitation.state_at(clock.now()).value,
        "expires_at": invitation.expires_at.isoformat(),
        "inviter_member_id": invitation.inviter_id,
    }


def _clean_expiry(v: Validator, days: int | None) -> int:
    if days is None:
        return DEFAULT_EXPIRY_DAYS
    if not MIN_EXPIRY_DAYS <= days <= MAX_EXPIRY_DAYS:
        v.add(
            ErrorCode.INVALID_EXPIRY,
            f"Expiry must be {MIN_EXPIRY_DAYS}-{MAX_EXPIRY_DAYS} days.",
            "expiresInDays",
        )
    return days


async def _check_rate_limit(organization_id: str, per_hour: int, at: datetime) -> None:
    """Called with the organization row locked, so concurrent invites count each other."""
    if per_hour <= 0:
        return
    sent = await Event.filter(
        organization_id=organization_id,
        type__in=RATE_LIMITED_EVENTS,
        occurred_at__gt=at - RATE_WINDOW,
    ).count()
    if sent >= per_hour:
        raise DomainError.of(
            ErrorCode.RATE_LIMITED,
            f"This organization sent {per_hour} invitations in the last hour; try again later.",
        )


async def _check_domain_policy(org: Organization, email: str) -> None:
    if not org.restrict_invitations_to_verified_domains:
        return
    domain = await verified_domain_for_email(email)
    if domain is None or domain.organization_id != org.id:
        raise DomainError.of(
            ErrorCode.DOMAIN_NOT_VERIFIED,
            "This organization invites only emails at its verified domains.",
            "email",
        )


async def _check_not_active_member(organization_id: str, email: str) -> None:
    user = await User.get_or_none(email=email)
    if user is None:
        return
    if await Member.filter(
        organization_id=organization_id, user_id=user.id, status=MemberStatus.ACTIVE
    ).exists():
        raise DomainError.of(ErrorCode.MEMBER_EXISTS, "This person is already a member.", "email")


def _check_role_within_caller(principal: Principal, role: Role | None) -> None:
    # Like API keys: nobody hands out more than they hold, or `invitations:write` alone
    # would be a path to admin (invite yourself at another address as admin, accept).
    if role is None or principal.is_operator:
        return
    # Product permissions are the operator's to grant through roles; Gatehouse's are checked.
    if not set(role.permissions) & ALL_PERMISSIONS <= principal.permissions:
        raise DomainError.of(
            ErrorCode.ROLE_EXCEEDS_CALLER,
            "You cannot invite into a role with permissions you do not hold.",
            "roleSlug",
        )


def _rotate(invitation: Invitation, days: int, at: datetime) -> str:
    """A new token and expiry; the old token stops working when this commits."""
    token = new_token()
    invitation.token_hash = hash_secret(token)
    invitation.previous_token_hash = None
    invitation.expires_at = at + timedelta(days=days)
    invitation.next_send_at = at + SEND_LEASE  # picked up by the retry loop if we crash
    invitation.failed_send_attempts = 0
    invitation.last_send_error = None
    return token


async def create_invitation(
    principal: Principal,
    organization_id: str,
    email: str,
    role_slug: str | None = None,
    expires_in_days: int | None = None,
    *,
    config: InvitationConfig,
    redirect_uri: str | None = None,
) -> Invitation:
    """Invite a person; a pending invitation for the same email is resent instead. After
    accepting, the hosted page sends the person to `redirect_uri` (allow-listed, exact)."""
    require(principal, Permission.INVITATIONS_WRITE)
    v = Validator()
    email = clean_email(v, email, "email")
    days = _clean_expiry(v, expires_in_days)
    if redirect_uri is not None and redirect_uri not in config.redirect_uris:
        v.add(
            ErrorCode.INVALID_REDIRECT_URI,
            "redirectUri is not in GATEHOUSE_REDIRECT_URIS.",
            "redirectUri",
        )
    at = clock.now()
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        slug = (role_slug or org.default_role_slug).strip()
        role = await Role.get_or_none(organization_id=org.id, slug=slug)
        if role is None:
            v.add(ErrorCode.ROLE_NOT_FOUND, "No role with this slug.", "roleSlug")
        v.check()
        assert role is not None  # v.check() raised otherwise
        _check_role_within_caller(principal, role)
        await _check_domain_policy(org, email)
        await _check_not_active_member(org.id, email)
        await _check_rate_limit(org.id, config.per_hour, at)
        key = pending_key(org.id, email)
        invitation = await Invitation.filter(pending_key=key).select_for_update().first()
        if invitation is not None:
            invitation.role_id = role.id  # the latest invite's role wins
            invitation.redirect_uri = redirect_uri or invitation.redirect_uri
            token = _rotate(invitation, days, at)
            await invitation.save()
            event = "invitation.resent"
        else:
            token = new_token()
            invitation = await Invitation.create(
                organization=org,
                email=email,
                role=role,
                pending_key=key,
                token_hash=hash_secret(token),
                expires_at=at + timedelta(days=days),
                inviter_id=principal.member_id,
                next_send_at=at + SEND_LEASE,
                redirect_uri=redirect_uri,
            )
            event = "invitation.created"
        await record_event(event, org.id, invitation_data(invitation, role.slug))
    await deliver(invitation, token, config, org, role)
    return await Invitation.get(id=invitation.id)


async def _invitation_for_change(principal: Principal, invitation_id: str) -> Invitation:
    """The invitation, locked after its organization (the lock order `create` uses too)."""
    check_id(invitation_id, "inv", "invitation", "invitationId")
    found = await Invitation.get_or_none(id=invitation_id)
    if found is None or not visible_organization(principal, found.organization_id):
        raise not_found("Invitation", "invitationId")
    await organization_for_change(principal, found.organization_id)
    invitation = await Invitation.filter(id=invitation_id).select_for_update().first()
    if invitation is None:
        raise not_found("Invitation", "invitationId")
    return invitation


def _refuse_settled(invitation: Invitation) -> None:
    if invitation.state is InvitationState.ACCEPTED:
        raise DomainError.of(
            ErrorCode.INVITATION_ACCEPTED, "The invitation was accepted.", "invitationId"
        )
    if invitation.state is InvitationState.REVOKED:
        raise DomainError.of(
            ErrorCode.INVITATION_REVOKED, "The invitation was revoked.", "invitationId"
        )


async def _role_slug(invitation: Invitation) -> str | None:
    if invitation.role_id is None:
        return None
    role = await Role.get_or_none(id=invitation.role_id)
    return role.slug if role else None


async def resend_invitation(
    principal: Principal,
    invitation_id: str,
    expires_in_days: int | None = None,
    *,
    config: InvitationConfig,
) -> Invitation:
    """Send again with a new token and a fresh expiry (an expired invitation revives)."""
    require(principal, Permission.INVITATIONS_WRITE)
    v = Validator()
    days = _clean_expiry(v, expires_in_days)
    v.check()
    at = clock.now()
    async with in_transaction():
        invitation = await _invitation_for_change(principal, invitation_id)
        _refuse_settled(invitation)
        if invitation.role_id is not None:
            _check_role_within_caller(principal, await Role.get_or_none(id=invitation.role_id))
        org = await Organization.get(id=invitation.organization_id)
        await _check_domain_policy(org, invitation.email)
        await _check_not_active_member(org.id, invitation.email)
        await _check_rate_limit(org.id, config.per_hour, at)
        token = _rotate(invitation, days, at)
        await invitation.save()
        await record_event(
            "invitation.resent", org.id, invitation_data(invitation, await _role_slug(invitation))
        )
    await deliver(invitation, token, config)
    return await Invitation.get(id=invitation.id)


async def revoke_invitation(principal: Principal, invitation_id: str) -> Invitation:
    require(principal, Permission.INVITATIONS_WRITE)
    async with in_transaction():
        invitation = await _invitation_for_change(principal, invitation_id)
        if invitation.state is InvitationState.REVOKED:
            raise DomainError.of(
                ErrorCode.ALREADY_REVOKED, "The invitation is already revoked.", "invitationId"
            )
        _refuse_settled(invitation)
        invitation.state = InvitationState.REVOKED
        invitation.revoked_at = clock.now()
        invitation.pending_key = None
        invitation.next_send_at = None
        await invitation.save()
        await record_event(
            "invitation.revoked",
            invitation.organization_id,
            invitation_data(invitation, await _role_slug(invitation)),
        )
    return invitation


async def list_invitations(
    principal: Principal,
    organization_id: str,
    state: InvitationState | None,
    first: int | None,
    after: str | None,
) -> Page[Invitation]:
    require(principal, Permission.INVITATIONS_READ)
    query = Invitation.filter(organization_id=organization_id)
    if not visible_organization(principal, organization_id):
        query = empty(query)
    at = clock.now()
    # EXPIRED is derived, so PENDING and EXPIRED both filter on the stored PENDING rows.
    if state is InvitationState.PENDING:
        query = query.filter(state=InvitationState.PENDING, expires_at__gt=at)
    elif state is InvitationState.EXPIRED:
        query = query.filter(state=InvitationState.PENDING, expires_at__lte=at)
    elif state is not None:
        query = query.filter(state=state)
    return await paginate(query, first, after)


async def get_invitation(principal: Principal, invitation_id: str) -> Invitation | None:
    require(principal, Permission.INVITATIONS_READ)
    invitation = await Invitation.get_or_none(id=invitation_id)
    if invitation is None or not visible_organization(principal, invitation.organization_id):
        return None
    return invitation

"""Memberships: who belongs to an organization, with which role and status."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal, PrincipalKind
from gatehouse.auth.sessions import revoke_member_sessions
from gatehouse.events import record_event
from gatehouse.models import Member, MemberSource, MemberStatus, Role, User
from gatehouse.resolvers.access import locked_for_change, require, visible_organization
from gatehouse.resolvers.errors import AccessError, DomainError, ErrorCode, Validator
from gatehouse.resolvers.organizations import organization_for_change
from gatehouse.resolvers.pagination import Page, empty, paginate
from gatehouse.resolvers.users.linking import organization_owns
from gatehouse.resolvers.validation import clean_email, clean_name

ADMIN_SLUG = "admin"


def membership_data(member: Member, role_slug: str | None = None) -> dict[str, Any]:
    return {
        "id": member.id,
        "organization_id": member.organization_id,
        "user_id": member.user_id,
        "role": role_slug,
        "status": member.status.value,
        "source": member.source.value,
    }


async def list_members(
    principal: Principal,
    organization_id: str,
    first: int | None,
    after: str | None,
    status: MemberStatus | None = None,
    search: str | None = None,
    *,
    with_users: bool = False,
) -> Page[Member]:
    """`with_users`: the page's users come joined (the caller will show them)."""
    require(principal, Permission.MEMBERS_READ)
    query = Member.filter(organization_id=organization_id)
    if not visible_organization(principal, organization_id):
        query = empty(query)
    if status is not None:
        query = query.filter(status=status)
    if search and search.strip():
        term = search.strip().lower()
        query = query.filter(
            Q(user__email__contains=term)
            | Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
        )
    # Never the role: joined, it would be built once per row, where the role loader builds each
    # distinct role once. The person is one per row either way; on PostgreSQL joining it cost
    # less server and database CPU than a second round trip (bench_load: 7.7-8.8 against
    # 9.8 ms per page), on SQLite, where a query is no round trip, more (bench_members_page).
    if with_users and Tortoise.get_connection("default").capabilities.dialect == "postgres":
        query = query.select_related("user")
    return await paginate(query, first, after)


async def get_member(principal: Principal, member_id: str) -> Member | None:
    require(principal, Permission.MEMBERS_READ)
    member = await Member.get_or_none(id=member_id)
    if member is None or not visible_organization(principal, member.organization_id):
        return None
    return member


async def member_for_change(principal: Principal, member_id: str) -> Member:
    return await locked_for_change(principal, Member, member_id, "om", "Member", "memberId")


async def role_by_slug(organization_id: str, slug: str | None, *field: str) -> Role:
    role = await Role.get_or_none(organization_id=organization_id, slug=(slug or "").strip())
    if role is None:
        raise DomainError.of(ErrorCode.ROLE_NOT_FOUND, "No role with this slug.", *field)
    return role


async def _ensure_not_last_admin(member: Member) -> None:
    """Refuse a change that would leave the organization without an active admin."""
    role = await Role.get(id=member.role_id)
    if role.slug != ADMIN_SLUG or member.status is not MemberStatus.ACTIVE:
        return
    # Lock every active admin row so two concurrent demotions cannot both pass this check.
    admins = [
        str(admin_id)
        for admin_id in await Member.filter(
            organization_id=member.organization_id, role_id=role.id, status=MemberStatus.ACTIVE
        )
        .select_for_update()
        .values_list("id", flat=True)
    ]
    if len([a for a in admins if a != member.id]) == 0:
        raise DomainError.of(
            ErrorCode.LAST_ADMIN, "An organization needs at least one active admin.", "memberId"
        )


async def create_member(
    principal: Principal,
    organization_id: str,
    email: str,
    role_slug: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> Member:
    """Add a person directly (source MANUAL): the user is created if the email is new."""
    require(principal, Permission.MEMBERS_WRITE)
    v = Validator()
    email = clean_email(v, email, "email")
    names = {}
    for key, value, field in (
        ("first_name", first_name, "firstName"),
        ("last_name", last_name, "lastName"),
    ):
        if value is not None:
            names[key] = clean_name(v, value, field, max_len=100)
    v.check()
    async with in_transaction():
        org = await organization_for_change(principal, organization_id)
        role = await role_by_slug(org.id, role_slug or org.default_role_slug, "roleSlug")
        existing = await User.get_or_none(email=email)
        if (
            existing is not None
            and principal.organization_id is not None
            and not await organization_owns(org.id, email)
        ):
            # The linking rule (users/linking.py): a tenant reaches an existing person only
            # through an address it owns; the person proves any other by accepting an invitation.
            raise DomainError.of(
                ErrorCode.EMAIL_NOT_LINKABLE,
                "This address is not at one of the organization's verified domains; invite "
                "the person instead.",
                "email",
            )
        user, _ = await User.get_or_create(email=email, defaults=names)
        if await Member.filter(organization_id=org.id, user_id=user.id).exists():
            raise DomainError.of(
                ErrorCode.MEMBER_EXISTS, "This person is already a member.", "email"
            )
        member = await Member.create(
            organization=org, user=user, role=role, source=MemberSource.MANUAL
        )
        await record_event(
            "organization_membership.created", org.id, membership_data(member, role.slug)
        )
    return member


async def update_member_role(principal: Principal, member_id: str, role_slug: str) -> Member:
    require(principal, Permission.MEMBERS_WRITE)
    async with in_transaction():
        member = await member_for_change(principal, member_id)
        role = await role_by_slug(member.organization_id, role_slug, "roleSlug")
        if role.id != member.role_id:
            await _ensure_not_last_admin(member)
            member.role_id = role.id
            await member.save()
        await record_event(
            "organization_membership.updated",
            member.organization_id,
            {**membership_data(member, role.slug), "reason": "manual"},
        )
    return member


async def set_member_status(principal: Principal, member_id: str, status: MemberStatus) -> Member:
    require(principal, Permission.MEMBERS_WRITE)
    async with in_transaction():
        member = await member_for_change(principal, member_id)
        if member.status is MemberStatus.PENDING:
            raise DomainError.of(
                ErrorCode.MEMBERSHIP_PENDING_APPROVAL,
                "This person asked to join: approve or deny the request instead.",
                "memberId",
            )
        if member.status is status:
            code = (
                ErrorCode.ALREADY_ACTIVE
                if status is MemberStatus.ACTIVE
                else ErrorCode.ALREADY_INACTIVE
            )
            raise DomainError.of(code, f"Member is already {status.value.lower()}.", "memberId")
        if status is MemberStatus.INACTIVE:
            await _ensure_not_last_admin(member)
            await revoke_member_sessions(member.id)
        member.status = status
        await member.save()
        role = await Role.get(id=member.role_id)
        await record_event(
            "organization_membership.updated",
            member.organization_id,
            membership_data(member, role.slug),
        )
    return member


async def remove_member(principal: Principal, member_id: str) -> str:
    require(principal, Permission.MEMBERS_WRITE)
    async with in_transaction():
        member = await member_for_change(principal, member_id)
        await _ensure_not_last_admin(member)
        role = await Role.get(id=member.role_id)
        data = membership_data(member, role.slug)
        await member.delete()
        await record_event("organization_membership.deleted", member.organization_id, data)
    return member_id


async def _is_admin(member: Member) -> bool:
    role = await Role.get(id=member.role_id)
    return role.slug == ADMIN_SLUG and member.status is MemberStatus.ACTIVE


async def _check_bypass_granter(principal: Principal, member: Member) -> None:
    """The operator, or another active admin of the organization signed in as themselves: an
    organization key (a machine) or the admin alone cannot open a way around the IdP."""
    if principal.is_operator:
        return
    granter = (
        await Member.get_or_none(id=principal.member_id)
        if principal.kind is PrincipalKind.SESSION and principal.member_id
        else None
    )
    if (
        granter is None
        or granter.id == member.id
        or granter.organization_id != member.organization_id
        or not await _is_admin(granter)
    ):
        raise AccessError("Only the operator or another admin may change who bypasses SSO.")


async def set_member_sso_bypass(principal: Principal, member_id: str, may_bypass: bool) -> Member:
    """Break-glass: an admin who may sign in by emailed code where the policy allows only SSO,
    so a few named people keep a way in when the IdP is down (sign_in/admission.py)."""
    require(principal, Permission.MEMBERS_WRITE)
    async with in_transaction():
        member = await member_for_change(principal, member_id)
        await _check_bypass_granter(principal, member)
        if may_bypass and not await _is_admin(member):
            raise DomainError.of(
                ErrorCode.SSO_BYPASS_ADMINS_ONLY,
                "Only an active admin can be allowed to bypass SSO.",
                "memberId",
            )
        member.may_bypass_sso = may_bypass
        await member.save(update_fields=["may_bypass_sso", "updated_at"])
        role = await Role.get(id=member.role_id)
        await record_event(
            "organization_membership.sso_bypass_changed",
            member.organization_id,
            {
                **membership_data(member, role.slug),
                "may_bypass_sso": may_bypass,
                "actor": principal.actor,
            },
        )
    return member


async def get_user(principal: Principal, user_id: str) -> User | None:
    """A user is visible to a scoped caller only through a membership in its organization."""
    require(principal, Permission.MEMBERS_READ)
    user = await User.get_or_none(id=user_id)
    if user is None or principal.organization_id is None:
        return user
    shares = await Member.filter(user_id=user.id, organization_id=principal.organization_id)
    return user if shares else None

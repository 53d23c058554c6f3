"""Emailed sign-in codes, for people whose organization has no identity provider (SECURITY 48).

`sendSignInCode` mails a 6-digit code and a link to a hosted page where it can be typed in; the
operator's backend then calls `authenticateWithCode` (or the page hands the person on to the
operator's app). A code lasts 10 minutes, works once, and dies after five wrong tries. Sending
is limited per address and per client address, counted in the database so every process agrees.

Nothing here tells whether an address belongs to anyone: a code is made and mailed for any
address, without looking it up, and every wrong or unusable code gets the same answer. Codes
are stored as an HMAC under the server key, so the table alone does not give them away.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from tortoise.transactions import in_transaction

from gatehouse.auth import clock
from gatehouse.auth.crypto import derive_key
from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.mail import Mailer, MailError
from gatehouse.mail.sign_in_code import SignInCodeMail, render_sign_in_code
from gatehouse.models import (
    AuthenticationMethod,
    Member,
    MemberStatus,
    Organization,
    SignInCode,
    User,
)
from gatehouse.resolvers.access import require
from gatehouse.resolvers.directories.sync import claim_held
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator
from gatehouse.resolvers.sign_in.authentication import NO_CLIENT, Authentication, Client
from gatehouse.resolvers.sign_in.enrollment import enroll, lock_domain, pending_approval
from gatehouse.resolvers.sign_in.handoff import issue_handoff_code
from gatehouse.resolvers.sign_in.selection import (
    Outcome,
    Proof,
    active_organizations,
    authenticate_proof,
    finish,
)
from gatehouse.resolvers.validation import clean_email
from gatehouse.settings import Settings

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
CODE_DIGITS = 6


def _hash(secret_key: str, code_id: str, code: str) -> str:
    return hmac.new(
        derive_key(secret_key, b"sign-in-codes"), f"{code_id}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def _invalid() -> DomainError:
    return DomainError.of(
        ErrorCode.INVALID_CODE, "This code is wrong, used or expired; ask for a new one.", "code"
    )


def code_page_url(settings: Settings, code_id: str) -> str:
    return f"{settings.base_url.rstrip('/')}/sign-in/code/{quote(code_id)}"


def allowed_redirect(settings: Settings, uri: str | None) -> bool:
    """Exact match against GATEHOUSE_REDIRECT_URIS (SECURITY 20), as for SSO."""
    return bool(uri) and uri in settings.redirect_uris


async def send_sign_in_code(
    principal: Principal,
    email: str,
    settings: Settings,
    mailer: Mailer,
    *,
    redirect_uri: str | None = None,
    client: Client = NO_CLIENT,
) -> None:
    require(principal, Permission.SESSIONS_MANAGE)
    v = Validator()
    address = clean_email(v, email, "email")
    if redirect_uri is not None and not allowed_redirect(settings, redirect_uri):
        v.add(
            ErrorCode.INVALID_REDIRECT_URI,
            "redirectUri is not in GATEHOUSE_REDIRECT_URIS.",
            "redirectUri",
        )
    v.check()
    window = clock.now() - timedelta(seconds=settings.sign_in_code_window_seconds)
    async with in_transaction():
        if await SignInCode.filter(email=address, created_at__gt=window).count() >= (
            settings.sign_in_codes_per_email
        ) or (
            client.ip_address is not None
            and await SignInCode.filter(ip_address=client.ip_address, created_at__gt=window).count()
            >= settings.sign_in_codes_per_ip
        ):
            raise DomainError.of(
                ErrorCode.RATE_LIMITED, "Too many codes were sent; try again later.", "email"
            )
        # A new code supersedes the earlier ones: only the latest mail works.
        await SignInCode.filter(email=address, used_at=None).update(used_at=clock.now())
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        row = SignInCode(
            email=address,
            code_hash="",
            redirect_uri=redirect_uri or next(iter(settings.redirect_uris), None),
            ip_address=client.ip_address,
            user_agent=client.user_agent,
            expires_at=clock.now() + CODE_TTL,
        )
        row.code_hash = _hash(settings.secret_key, row.id, code)
        await row.save()
    mail = SignInCodeMail(
        to=address,
        code=code,
        page_url=code_page_url(settings, row.id),
        minutes=int(CODE_TTL.total_seconds() // 60),
    )
    try:
        await mailer.send(render_sign_in_code(mail, settings.mail_from))
    except MailError:
        raise DomainError.of(
            ErrorCode.MAIL_FAILED, "The code could not be sent; try again.", "email"
        ) from None


async def _check_code(row: SignInCode | None, code: str, secret_key: str) -> SignInCode:
    """The usable code row that `code` matches; a wrong try counts against it."""
    if row is None or row.used_at is not None or row.expires_at <= clock.now():
        raise _invalid()
    if row.attempts >= MAX_ATTEMPTS:
        raise _invalid()
    if not hmac.compare_digest(row.code_hash, _hash(secret_key, row.id, (code or "").strip())):
        row.attempts += 1
        await row.save(update_fields=["attempts"])
        raise _WrongCode
    row.used_at = clock.now()
    await row.save(update_fields=["used_at"])
    return row


class _WrongCode(Exception):
    """A wrong try, already counted: its transaction must commit before the refusal."""


async def authenticate_with_code(
    principal: Principal,
    email: str,
    code: str,
    organization_id: str | None,
    settings: Settings,
    *,
    client: Client = NO_CLIENT,
) -> Authentication:
    require(principal, Permission.SESSIONS_MANAGE)
    v = Validator()
    address = clean_email(v, email, "email")
    v.check()
    result: Outcome | None = None
    async with in_transaction():
        row = (
            await SignInCode.filter(email=address, used_at=None)
            .order_by("-id")
            .select_for_update()
            .first()
        )
        try:
            await _check_code(row, code, settings.secret_key)
        except _WrongCode:
            pass  # leave the block, so the counted try commits
        else:
            result = await _authenticate_address(address, settings, organization_id, client)
    if result is None:
        raise _invalid()
    return finish(result)


async def _codes_allowed(organization_id: str) -> bool:
    return (await Organization.get(id=organization_id)).email_code_allowed


async def _proven_user(address: str) -> User:
    """The person who just proved `address`: enrolled by its verified domain when its mode
    says so (the user is created then), or as they were."""
    domain = await lock_domain(address)
    # The typed code proves the address: directories holding it link it now.
    user = await claim_held(await User.get_or_none(email=address), address)
    if domain is not None and await _codes_allowed(domain.organization_id):
        # Only where a code is a way in: an SSO-only organization enrolls through its IdP.
        user, _ = await enroll(domain, address, user)
    if user is None:
        raise DomainError.of(
            ErrorCode.MEMBERSHIP_REQUIRED,
            "This person is not an active member of any organization.",
            "organizationId",
        )
    await _mark_verified(user)
    return user


async def _authenticate_address(
    address: str, settings: Settings, organization_id: str | None, client: Client
) -> Outcome:
    user = await _proven_user(address)
    await record_event(
        "authentication.email_code_succeeded", None, {"user_id": user.id, "email": user.email}
    )
    return await authenticate_proof(
        Proof(user, AuthenticationMethod.EMAIL_CODE, client=client), organization_id, settings
    )


async def _mark_verified(user: User) -> None:
    # Typing the mailed code proves the mailbox.
    if not user.email_verified:
        user.email_verified = True
        await user.save(update_fields=["email_verified", "updated_at"])


@dataclass(frozen=True, slots=True)
class CodePage:
    email: str
    redirect_uri: str | None


async def code_page(code_id: str) -> CodePage | None:
    """What the hosted page shows for a code it was linked to; None once it cannot be used."""
    row = await SignInCode.get_or_none(id=code_id)
    if row is None or row.used_at is not None or row.expires_at <= clock.now():
        return None
    if row.attempts >= MAX_ATTEMPTS:
        return None
    return CodePage(row.email, row.redirect_uri)


async def redeem_on_page(code_id: str, code: str, settings: Settings) -> tuple[str, str]:
    """The hosted page's form: the typed code → (redirect URI, one-time handoff code). The
    operator's app trades the handoff code at POST /sso/token, choosing an organization there
    if the person has several."""
    handoff: str | None = None
    pending = False
    redirect_uri = ""
    async with in_transaction():
        row = await SignInCode.filter(id=code_id).select_for_update().first()
        if row is not None and not row.redirect_uri:
            raise DomainError.of(
                ErrorCode.INVALID_REDIRECT_URI,
                "There is no app to continue to; sign in from the app instead.",
                "code",
            )
        try:
            proven = await _check_code(row, code, settings.secret_key)
        except _WrongCode:
            pass
        else:
            user = await _proven_user(proven.email)
            if await active_organizations(user.id):
                redirect_uri = proven.redirect_uri or ""
                handoff = await issue_handoff_code(AuthenticationMethod.EMAIL_CODE, user=user)
            elif await Member.exists(user_id=user.id, status=MemberStatus.PENDING):
                pending = True  # a request just made commits; the page says it waits
            else:
                raise DomainError.of(
                    ErrorCode.MEMBERSHIP_REQUIRED,
                    "There is no account for this address; ask an admin to invite you.",
                    "code",
                )
    if pending:
        raise pending_approval()
    if handoff is None:
        raise _invalid()
    return redirect_uri, handoff

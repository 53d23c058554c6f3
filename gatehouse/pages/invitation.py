"""The hosted invitation page: `GET /invitations/{token}` shows it, `POST` accepts it.

GET never accepts: mail scanners and link previews fetch links, and must not use them up.
The token is the credential (as in GraphQL's `acceptInvitation`), so the form needs no CSRF
token: whoever can post it could accept directly. Accepting sends the browser on to the
operator's app (the invitation's redirect URI, or the first allow-listed one) with a one-time
code that the app trades at POST /sso/token. The page keeps the token out of Referer headers
and caches, and browsers get HTML while `Accept: application/json` gets JSON.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehouse.inbound import BodyError, decode_form
from gatehouse.models import Organization
from gatehouse.pages.rendering import hand_off, render, settings_of
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.invitations.accept import accept_invitation, invitation_for_token
from gatehouse.resolvers.invitations.delivery import TOKEN_PREFIX, inviter_name, role_name

_STATUS = {
    ErrorCode.INVALID_TOKEN: 404,
    ErrorCode.INVITATION_ACCEPTED: 410,
    ErrorCode.INVITATION_REVOKED: 410,
    ErrorCode.INVITATION_EXPIRED: 410,
    ErrorCode.MEMBER_EXISTS: 409,
}
_TOKEN_IN_TEXT = re.compile(rf"{TOKEN_PREFIX}_[A-Za-z0-9_-]+")


class RedactInvitationTokens(logging.Filter):
    """Access logs print request paths; this page's path holds a token (SECURITY.md 30)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_TEXT.sub(f"{TOKEN_PREFIX}_[redacted]", a) if isinstance(a, str) else a
                for a in record.args
            )
        return True


def install_log_redaction() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactInvitationTokens) for f in access.filters):
        access.addFilter(RedactInvitationTokens())


@dataclass(frozen=True, slots=True)
class _Problem:
    code: str
    message: str
    status: int


def _render(request: Request, status: int, **context: Any) -> Response:
    return render(request, "invitation.html", status, **context)


def _problem(error: DomainError) -> _Problem:
    first = error.errors[0]
    return _Problem(first.code.value, first.message, _STATUS.get(first.code, 400))


def _error_page(request: Request, problem: _Problem) -> Response:
    return _render(
        request,
        problem.status,
        mode="error",
        message=problem.message,
        json={"error": problem.code, "message": problem.message},
    )


async def _details(token: str) -> dict[str, Any]:
    invitation = await invitation_for_token(token)
    org = await Organization.get(id=invitation.organization_id)
    return {
        "organization": org.name,
        "email": invitation.email,
        "role": await role_name(invitation),
        "inviter": await inviter_name(invitation),
        "expires": invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
    }


async def show_invitation(request: Request) -> Response:
    token = request.path_params["token"]
    try:
        details = await _details(token)
    except DomainError as e:
        return _error_page(request, _problem(e))
    return _render(request, 200, mode="invite", **details, json={"invitation": details})


async def _form(request: Request) -> dict[str, str]:
    # Parsed here (urlencoded only) rather than adding python-multipart for two text fields.
    return {k: v[-1] for k, v in decode_form(await request.body()).items()}


async def accept(request: Request) -> Response:
    token = request.path_params["token"]
    try:
        form = await _form(request)
    except BodyError as e:
        return _error_page(request, _Problem("invalid_request", str(e), 400))
    try:
        details = await _details(token)
        accepted = await accept_invitation(
            token,
            form.get("first_name"),
            form.get("last_name"),
            settings=settings_of(request),
            hand_off=True,
        )
    except DomainError as e:
        return _error_page(request, _problem(e))
    member = accepted.member
    facts = {"accepted": True, "member_id": member.id, "organization_id": member.organization_id}
    if accepted.redirect_uri and accepted.handoff_code:
        # On to the operator's app, which trades the code at POST /sso/token (as after SSO).
        return hand_off(request, accepted.redirect_uri, accepted.handoff_code, **facts)
    if accepted.authorize_url:
        # SSO only: the person goes on through the IdP. A link, not a redirect of this form's
        # post, which the page's form-action policy would stop at the IdP's origin.
        facts["authorize_url"] = accepted.authorize_url
        return _render(
            request, 200, mode="accepted", sso_url=accepted.authorize_url, **details, json=facts
        )
    return _render(request, 200, mode="accepted", **details, json=facts)


routes = [
    Route("/invitations/{token}", show_invitation, methods=["GET"]),
    Route("/invitations/{token}", accept, methods=["POST"]),
]

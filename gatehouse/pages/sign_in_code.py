"""The hosted sign-in code page, linked from the code email: `GET /sign-in/code/{id}` shows
a form, `POST` checks the code (five tries) and sends the browser to the operator's app with a
one-time code for POST /sso/token, as the invitation page and SSO do.

GET changes nothing, so mail scanners following the link use nothing up.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehouse.inbound import BodyError, decode_form
from gatehouse.pages.rendering import hand_off, render, settings_of
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.sign_in.codes import code_page, redeem_on_page

UNUSABLE = "This code was used, replaced by a newer one, tried too often, or has expired."


def masked(email: str) -> str:
    """`grace@acme.com` → `g****@acme.com`: enough to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}"


def _error(request: Request, message: str, status: int, code: str = "invalid_code") -> Response:
    return render(
        request,
        "sign_in_code.html",
        status,
        mode="error",
        message=message,
        json={"error": code, "message": message},
    )


async def show(request: Request) -> Response:
    page = await code_page(request.path_params["code_id"])
    if page is None:
        return _error(request, UNUSABLE, 410)
    return render(
        request,
        "sign_in_code.html",
        200,
        mode="enter",
        email=masked(page.email),
        json={"email": masked(page.email)},
    )


async def submit(request: Request) -> Response:
    code_id = request.path_params["code_id"]
    try:
        code = decode_form(await request.body()).get("code", [""])[-1]
    except BodyError as e:
        return _error(request, str(e), 400)
    try:
        redirect_uri, handoff = await redeem_on_page(code_id, code, settings_of(request))
    except DomainError as e:
        first = e.errors[0]
        if first.code is not ErrorCode.INVALID_CODE:
            return _error(request, first.message, 400, first.code.value.lower())
        page = await code_page(code_id)
        if page is None:
            return _error(request, UNUSABLE, 410)
        return render(
            request,
            "sign_in_code.html",
            400,
            mode="enter",
            wrong=True,
            email=masked(page.email),
            json={"error": "invalid_code", "message": first.message},
        )
    return hand_off(request, redirect_uri, handoff, signed_in=True)


routes = [
    Route("/sign-in/code/{code_id}", show, methods=["GET"]),
    Route("/sign-in/code/{code_id}", submit, methods=["POST"]),
]

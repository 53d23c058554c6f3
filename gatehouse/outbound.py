"""Outbound HTTP to customer-entered URLs: webhooks, log streams, SAML metadata, OIDC discovery,
JWKS, token and userinfo endpoints (SECURITY 13d, 40).

The guard: https only, no credentials in the URL, no private, loopback, link-local or otherwise
non-global address unless the deployment allows private targets, no redirects followed.

A request is sent to an address the guard checked, never to a fresh resolution of the name: a DNS
server can answer a public address to the check and 127.0.0.1 to the connect (DNS rebinding).
So the host is resolved once, every address it resolves to is checked, and the URL's host is
replaced by one of them; the name stays in the Host header and drives TLS (SNI and the
certificate's hostname check, through httpcore's `sni_hostname` request extension).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import ipaddress
import socket
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import httpx

TIMEOUT = httpx.Timeout(5.0)
# httpx's timeouts apply per phase and per read: a server sending a byte every few seconds
# would never trip them. This bounds a whole fetch of a customer-hosted document.
TOTAL_SECONDS = 15.0
MAX_BYTES = 512_000


def client(timeout: float | httpx.Timeout = TIMEOUT) -> httpx.AsyncClient:
    """An HTTP client for customer URLs: no redirects followed, and no cookies kept. One client
    serves every tenant, and requests go to addresses, so a jar would keep a cookie per address
    and send it to whichever tenant's host shares it."""
    no_cookies = http.cookiejar.CookieJar(
        policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
    )
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, cookies=no_cookies)


class OutboundError(Exception):
    """The URL is refused or the remote answered with something unusable."""


class UnsafeUrl(OutboundError):
    """Refused before any connection; `private` when the host resolves to a forbidden address."""

    def __init__(self, message: str, *, private: bool = False) -> None:
        super().__init__(message)
        self.private = private


def forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried in IPv6 is reached as that IPv4 address.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return forbidden(embedded)
        if ip.is_site_local:
            return True
    # Not global covers private, loopback, link-local, unspecified and shared (100.64/10).
    return not ip.is_global or ip.is_multicast or ip.is_reserved


def _parse(url: str, *, allow_http: bool) -> httpx.URL:
    """The URL exactly as httpx will read it, so the host checked is the host requested."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    schemes = ("https", "http") if allow_http else ("https",)
    if (
        parsed is None
        or parsed.scheme not in schemes
        or not parsed.raw_host
        or parsed.userinfo
        or not 0 < (parsed.port or 443) < 65536
    ):
        raise UnsafeUrl("URL must be https://host/… without credentials.")
    return parsed


async def resolve(host: str, port: int) -> list[str]:
    """The one place an outbound host name becomes addresses (the system resolver)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        infos = []
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeUrl("Host does not resolve.")
    return addresses


@dataclass(frozen=True, slots=True)
class Target:
    url: httpx.URL
    addresses: list[str]  # in the resolver's order of preference


async def resolve_target(url: str, *, allow_private: bool) -> Target:
    parsed = _parse(url, allow_http=allow_private)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = await resolve(parsed.raw_host.decode("ascii"), port)
    if not allow_private and any(forbidden(ipaddress.ip_address(a)) for a in addresses):
        raise UnsafeUrl("URL points to a private, loopback or link-local address.", private=True)
    return Target(parsed, addresses)


async def check_url(url: str, *, allow_private: bool) -> None:
    """The guard alone, for a URL being saved; each request checks again (DNS changes)."""
    if allow_private:
        _parse(url, allow_http=True)
    else:
        await resolve_target(url, allow_private=False)


async def pinned_request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    allow_private: bool,
    headers: dict[str, str] | None = None,
    stream: bool = False,
    **kwargs: Any,
) -> httpx.Response:
    """`client.request` to an address resolved and checked once (raises `UnsafeUrl`). With
    `stream`, the body is not read: the caller reads it (bounded) and closes the response.

    When one address cannot be connected to (no IPv6 route, a dead host) the next is tried, as
    a dual-stack client would; nothing of the request has been sent by then.
    """
    target = await resolve_target(url, allow_private=allow_private)
    pinned_headers = httpx.Headers(headers)
    pinned_headers["Host"] = target.url.netloc.decode("ascii")
    if target.url.scheme == "https":
        # The client's pool keys connections by scheme, address and port: kept open, this
        # connection (its certificate checked for this name) could carry a later request for
        # another name served at the same address.
        pinned_headers["Connection"] = "close"
    extensions = {"sni_hostname": target.url.raw_host.decode("ascii")}

    auth = kwargs.pop("auth", httpx.USE_CLIENT_DEFAULT)  # a `send` argument, not a request's

    def send(address: str) -> Awaitable[httpx.Response]:
        pinned = target.url.copy_with(host=address)
        built = client.build_request(
            method, pinned, headers=pinned_headers, extensions=extensions, **kwargs
        )
        return client.send(built, stream=stream, auth=auth)

    for address in target.addresses[:-1]:
        with contextlib.suppress(httpx.ConnectError):
            return await send(address)
    return await send(target.addresses[-1])


async def request(method: str, url: str, *, allow_private: bool, **kwargs: Any) -> httpx.Response:
    """One customer-hosted document: a short timeout, a small size, transport failures as
    `OutboundError`."""
    try:
        async with asyncio.timeout(TOTAL_SECONDS), client() as http_client:
            response = await pinned_request(
                http_client, method, url, allow_private=allow_private, stream=True, **kwargs
            )
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise OutboundError("response too large")
            finally:
                await response.aclose()
    except TimeoutError as e:
        raise OutboundError("timed out") from e
    except httpx.HTTPError as e:
        raise OutboundError(str(e) or type(e).__name__) from e
    status, headers = response.status_code, response.headers
    return httpx.Response(status, headers=headers, content=bytes(body), request=response.request)


async def request_json(
    method: str, url: str, *, allow_private: bool, **kwargs: Any
) -> tuple[int, Any]:
    response = await request(method, url, allow_private=allow_private, **kwargs)
    try:
        return response.status_code, response.json()
    except ValueError as e:
        raise OutboundError("response is not JSON") from e

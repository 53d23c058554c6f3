"""Outbound HTTP to customer-entered URLs (OIDC discovery, JWKS, token endpoint).

The guard (SECURITY 13d, 40): https only, no private, loopback or link-local targets unless the
deployment allows them, no redirects followed, a small response size and a short timeout.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx

TIMEOUT = httpx.Timeout(5.0)
MAX_BYTES = 512_000


class OutboundError(Exception):
    """The URL is refused or the remote answered with something unusable."""


async def check_url(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OutboundError("URL must be absolute http(s)")
    if parts.username or parts.password:
        raise OutboundError("URL must not carry credentials")
    if allow_private:
        return
    if parts.scheme != "https":
        raise OutboundError("URL must use https")
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError as e:
        raise OutboundError("host does not resolve") from e
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise OutboundError("URL points at a private or local address")


async def request(method: str, url: str, *, allow_private: bool, **kwargs: Any) -> httpx.Response:
    await check_url(url, allow_private=allow_private)
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
        response = await client.request(method, url, **kwargs)
    if len(response.content) > MAX_BYTES:
        raise OutboundError("response too large")
    return response


async def request_json(
    method: str, url: str, *, allow_private: bool, **kwargs: Any
) -> tuple[int, Any]:
    response = await request(method, url, allow_private=allow_private, **kwargs)
    try:
        return response.status_code, response.json()
    except ValueError as e:
        raise OutboundError("response is not JSON") from e

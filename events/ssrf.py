"""Outbound URL guard (SECURITY.md 40): no private, loopback or link-local targets.

Checked when a URL is registered and again before each send (DNS can change in between).
Redirects are never followed (the worker's client has follow_redirects=False).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeUrl(Exception):
    def __init__(self, message: str, *, private: bool = False) -> None:
        super().__init__(message)
        self.private = private


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return _forbidden(ip.ipv4_mapped)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def check_url_shape(url: str, *, allow_http: bool) -> tuple[str, int]:
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise UnsafeUrl("URL must be https://host/… without credentials.")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


async def check_url(url: str, *, allow_private: bool) -> None:
    host, port = check_url_shape(url, allow_http=allow_private)
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise UnsafeUrl("Host does not resolve.") from None
    for info in infos:
        if _forbidden(ipaddress.ip_address(info[4][0])):
            raise UnsafeUrl(
                "URL points to a private, loopback or link-local address.", private=True
            )

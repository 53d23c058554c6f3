"""Prefixed, time-sortable identifiers (`org_01J…`), one prefix per type.

The prefix tells a reader (and `node(id:)`) what an ID names without a lookup; the ULID part
sorts by creation time, so cursor pages can order by primary key alone.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import cast

from ulid import ULID

PREFIXES: dict[str, str] = {
    "org": "Organization",
    "user": "User",
    "om": "Member",
    "role": "Role",
    "key": "ApiKey",
    "evt": "Event",
    "sess": "Session",
    "dom": "Domain",
    "conn": "Connection",
    "whe": "WebhookEndpoint",
    "ls": "LogStream",
    "dlv": "Delivery",
    "ssor": "SsoRequest",
    "idn": "LinkedIdentity",
    "ssoc": "SsoCode",
    "said": "SamlAssertionId",
    "plink": "PortalLink",
    "psess": "PortalSession",
    "dir": "Directory",
    "diru": "DirectoryUser",
    "dirg": "DirectoryGroup",
    "grm": "GroupRoleMapping",
    "inv": "Invitation",
    "rt": "RefreshToken",
    "jwk": "SigningKey",
    "sic": "SignInCode",
    "pauth": "PendingAuthentication",
    "perm": "ProductPermission",
    "envrole": "EnvironmentRole",
    "cgrm": "ConnectionGroupRoleMapping",
    "audit": "AuditEntry",
    "aact": "AuditAction",
    "aexp": "AuditExport",
    "scimreq": "ScimRequestRecord",
    "sia": "SignInAttempt",
}


_lock = threading.Lock()
_last: tuple[int, int] = (0, 0)
_RANDOM_BITS = 80


def _monotonic_ulid() -> ULID:
    """A ULID that sorts after every ULID this process made before it.

    Plain ULIDs are random within a millisecond, so two events written in the same
    millisecond could list out of order; incrementing the random part keeps creation order.
    """
    global _last  # noqa: PLW0603 - one generator state per process, guarded by the lock
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        last_ms, last_rand = _last
        if now_ms <= last_ms:
            now_ms, rand = last_ms, last_rand + 1
        else:
            rand = int.from_bytes(os.urandom(10), "big") >> 1  # headroom for increments
        _last = (now_ms, rand)
    return ULID.from_int((now_ms << _RANDOM_BITS) | rand)


def new_id(prefix: str) -> str:
    return f"{prefix}_{_monotonic_ulid()}"


# Module-level factories (not closures): migrations serialize a field's default by import path.
def new_org_id() -> str:
    return new_id("org")


def new_user_id() -> str:
    return new_id("user")


def new_om_id() -> str:
    return new_id("om")


def new_role_id() -> str:
    return new_id("role")


def new_key_id() -> str:
    return new_id("key")


def new_evt_id() -> str:
    return new_id("evt")


def new_sess_id() -> str:
    return new_id("sess")


def new_dom_id() -> str:
    return new_id("dom")


def new_conn_id() -> str:
    return new_id("conn")


def new_whe_id() -> str:
    return new_id("whe")


def new_ls_id() -> str:
    return new_id("ls")


def new_dlv_id() -> str:
    return new_id("dlv")


def new_ssor_id() -> str:
    return new_id("ssor")


def new_idn_id() -> str:
    return new_id("idn")


def new_ssoc_id() -> str:
    return new_id("ssoc")


def new_said_id() -> str:
    return new_id("said")


def new_plink_id() -> str:
    return new_id("plink")


def new_psess_id() -> str:
    return new_id("psess")


def new_dir_id() -> str:
    return new_id("dir")


def new_diru_id() -> str:
    return new_id("diru")


def new_dirg_id() -> str:
    return new_id("dirg")


def new_grm_id() -> str:
    return new_id("grm")


def new_inv_id() -> str:
    return new_id("inv")


def new_scimreq_id() -> str:
    return new_id("scimreq")


def new_sia_id() -> str:
    return new_id("sia")


def id_factory(prefix: str) -> Callable[[], str]:
    factory = globals().get(f"new_{prefix}_id")
    if not callable(factory):
        raise KeyError(f"no ID factory for prefix {prefix!r}; add new_{prefix}_id")
    return cast("Callable[[], str]", factory)


def prefix_of(value: str) -> str | None:
    """The prefix of a well-formed ID, or None for anything else."""
    prefix, sep, rest = value.partition("_")
    if not sep or len(rest) != 26 or prefix not in PREFIXES:
        return None
    try:
        ULID.from_str(rest)
    except ValueError:
        return None
    return prefix


def has_prefix(value: str, prefix: str) -> bool:
    return prefix_of(value) == prefix


def new_rt_id() -> str:
    return new_id("rt")


def new_jwk_id() -> str:
    return new_id("jwk")


def new_sic_id() -> str:
    return new_id("sic")


def new_pauth_id() -> str:
    return new_id("pauth")


def new_perm_id() -> str:
    return new_id("perm")


def new_envrole_id() -> str:
    return new_id("envrole")


def new_cgrm_id() -> str:
    return new_id("cgrm")


def new_audit_id() -> str:
    return new_id("audit")


def new_aact_id() -> str:
    return new_id("aact")


def new_aexp_id() -> str:
    return new_id("aexp")

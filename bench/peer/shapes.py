"""What bench_peer_polis.py sends: SCIM bodies in the shapes Entra ID's provisioning service
sends, and IdP-initiated SAML responses, signed with one IdP key, that differ between the two
services only in the ACS URL (Destination, Recipient) and the audience each expects."""

from __future__ import annotations

from typing import Any

from tests.sso.saml_idp import Assertion, KeyPair, b64, signed

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
IDP_ENTITY = "https://idp.bench/metadata"
SSO_DOMAIN = "acme.com"
CYCLE = 5  # user PATCH shapes, sent in turn to each user


def entra_user(n: int) -> dict[str, Any]:
    email = f"user{n}@bench.example.com"
    return {
        "schemas": [USER, ENTERPRISE],
        "externalId": f"ext-{n}",
        "userName": email,
        "active": True,
        "displayName": f"User {n}",
        "emails": [{"primary": True, "type": "work", "value": email}],
        "name": {"formatted": f"User {n}", "familyName": str(n), "givenName": "User"},
        ENTERPRISE: {"department": "Bench"},
    }


def entra_group(name: str) -> dict[str, Any]:
    return {"schemas": [GROUP], "externalId": name, "displayName": name, "members": []}


def user_patch(k: int) -> dict[str, Any]:
    """The k-th PATCH: each user is deactivated, reactivated, renamed (with a path, then
    without, as Entra sends several attributes at once) and given a new work email."""
    ops: list[dict[str, Any]] = [
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "value": {"active": True}},
        {"op": "replace", "path": "name.givenName", "value": f"Given{k}"},
        {"op": "replace", "value": {"name.givenName": f"G{k}", "name.familyName": f"F{k}"}},
        {
            "op": "replace",
            "path": 'emails[type eq "work"].value',
            "value": f"w{k}@bench.example.com",
        },
    ]
    return {"schemas": [PATCH], "Operations": [ops[k % CYCLE]]}


def members_patch(user_ids: list[str]) -> dict[str, Any]:
    value = [{"value": u} for u in user_ids]
    return {"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": value}]}


def after_cycle(user: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """What differs, (got, wanted), in the first user after its five PATCHes (k = 0..4)."""
    work = [e.get("value") for e in user.get("emails", []) if e.get("type") == "work"]
    name = user.get("name", {})
    got = {
        "active": user.get("active"),
        "givenName": name.get("givenName"),
        "familyName": name.get("familyName"),
        "work email": work[0] if work else None,
    }
    want = {
        "active": True,
        "givenName": "G3",
        "familyName": "F3",
        "work email": "w4@bench.example.com",
    }
    return {k: (got[k], want[k]) for k in got if got[k] != want[k]}


def acs_responses(acs: str, audience: str, keys: KeyPair, count: int) -> list[str]:
    """Sign-ins of the same `count` users each time, with fresh IDs (each is accepted once)."""
    return [
        b64(
            signed(
                Assertion(
                    destination=acs,
                    audience=audience,
                    recipient=acs,
                    issuer=IDP_ENTITY,
                    name_id=f"sso{i}@{SSO_DOMAIN}",
                    attributes={
                        "email": f"sso{i}@{SSO_DOMAIN}",
                        "firstName": f"S{i}",
                        "lastName": "Bench",
                    },
                ),
                keys,
            )
        )
        for i in range(count)
    ]

"""Every SAML refusal names its cause, the same in the HTTP answer's `error` and in the
sso_failed event's `reason`, and the event carries the organization and the connection
(inactive connections included), so that organization's webhooks and portal see it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event
from gatehouse.resolvers.sso import connections
from tests.sso.helpers import (
    assertion_for,
    post_acs,
    saml_connection,
    start_saml,
    verified_domain,
)
from tests.sso.saml_idp import build, make_keypair, signed


def _bend(case: str, a, keys):
    if case == "wrong_audience":
        a.audience = "https://other-sp.example/saml"
    elif case == "wrong_recipient":
        a.recipient = "https://other-sp.example/acs"
    elif case == "wrong_destination":
        a.destination = "https://other-sp.example/acs"
    elif case == "assertion_expired":
        a.not_before = datetime.now(UTC) - timedelta(minutes=20)
        a.not_on_or_after = datetime.now(UTC) - timedelta(minutes=10)
    elif case == "not_yet_valid":
        a.not_before = datetime.now(UTC) + timedelta(minutes=4)
        a.not_on_or_after = datetime.now(UTC) + timedelta(minutes=10)
    elif case == "wrong_issuer":
        a.issuer = "https://another-idp.example"
    elif case == "unsigned_response":
        return build(a)
    elif case == "invalid_signature":
        return signed(a, make_keypair("Mallory"))
    return signed(a, keys)


CASES = [
    "wrong_audience",
    "wrong_recipient",
    "wrong_destination",
    "assertion_expired",
    "not_yet_valid",
    "wrong_issuer",
    "unsigned_response",
    "invalid_signature",
]


@pytest.fixture
async def conn(make_org, idp_keys):
    org = await make_org("Acme")
    await verified_domain(org)
    return await saml_connection(org, [idp_keys])


async def _last_failure() -> Event:
    event = await Event.filter(type="authentication.sso_failed").order_by("-id").first()
    assert event is not None
    return event


@pytest.mark.parametrize("case", CASES)
async def test_each_refusal_has_its_own_reason_recorded_with_the_organization(
    client, conn, idp_keys, case
):
    a = assertion_for(conn, in_response_to=await start_saml(client, conn))
    r = await post_acs(client, conn, _bend(case, a, idp_keys))
    assert r.status_code == 400, r.text
    assert r.json()["error"] == case
    event = await _last_failure()
    assert event.data["reason"] == case
    assert event.organization_id == conn.organization_id
    assert event.data["connection_id"] == conn.id


async def test_inactive_connection_refusal_names_its_organization(client, conn, idp_keys):
    conn.saml_allow_idp_initiated = True
    await conn.save()
    await connections.deactivate_connection(operator_principal(), conn.id)
    r = await post_acs(client, conn, signed(assertion_for(conn), idp_keys))
    assert r.status_code == 403
    assert r.json()["error"] == "connection_inactive"
    event = await _last_failure()
    assert event.data["reason"] == "connection_inactive"
    assert event.organization_id == conn.organization_id
    assert event.data["connection_id"] == conn.id


@pytest.mark.parametrize(
    ("path_id", "status", "error"),
    [
        ("not-an-id", 404, "unknown_connection"),
        # found by the fuzz test on PostgreSQL, which refuses a NUL byte in a query
        ("%00", 400, "invalid_request"),
    ],
)
async def test_a_connection_path_that_is_no_id_is_refused(client, path_id, status, error):
    r = await client.post(f"/sso/saml/{path_id}/acs", data={"SAMLResponse": "x"})
    assert r.status_code == status
    assert r.json()["error"] == error

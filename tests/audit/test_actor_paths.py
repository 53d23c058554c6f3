"""The ways in that are not GraphQL record their actor too: a SCIM client is its directory,
an IdP's callback its connection; background work is SYSTEM. The actor and the request's
context appear in the events query and in what webhooks and log streams receive."""

from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.events import record_event
from gatehouse.events.formats import payload
from gatehouse.models import Event
from tests.identity.conftest import scim_user
from tests.policy.conftest import oidc_connection

EVENTS = """query($o: ID) { events(organizationId: $o, first: 100) { edges { node {
  type actor { kind id } context { requestId ipAddress userAgent } } } } }"""


async def test_scim_events_name_the_directory(make_directory, gql, operator_token):
    scim = await make_directory()
    await scim.create_user("ada@acme.example", **scim_user("ada@acme.example"))
    rows = await Event.filter(organization_id=scim.organization_id).order_by("id")
    scim_rows = [e for e in rows if e.type.startswith(("dsync.user", "organization_membership"))]
    assert scim_rows
    for event in scim_rows:
        assert event.actor == {"kind": "DIRECTORY", "id": scim.directory_id}, event.type
        assert event.context["request_id"].startswith("req_")
    from gatehouse.events.sequencer import sequence_pending

    await sequence_pending()
    body = await gql(EVENTS, {"o": scim.organization_id}, token=operator_token)
    nodes = [e["node"] for e in body["data"]["events"]["edges"]]
    created = next(n for n in nodes if n["type"] == "dsync.user.created")
    assert created["actor"] == {"kind": "DIRECTORY", "id": scim.directory_id}
    assert created["context"]["requestId"].startswith("req_")
    assert created["context"]["ipAddress"] == "127.0.0.1"


async def test_sso_events_name_the_connection(company, provider, sign_in_with_sso):
    org = await company("Acme", "acme.com")
    conn = await oidc_connection(org, provider)
    outcome = await sign_in_with_sso(conn, "jit@acme.com", "sub-1")
    assert outcome.status in (200, 400, 403)
    rows = await Event.filter(organization_id=org.id, type__startswith="authentication.sso")
    assert rows
    for event in rows:
        assert event.actor == {"kind": "SSO_CONNECTION", "id": conn.id}, event.type


async def test_background_work_is_system_and_payloads_carry_the_actor(make_org):
    org = await make_org()
    event = await record_event("organization.updated", org.id, {"id": org.id})
    assert event.actor == {"kind": "SYSTEM", "id": None}
    body = payload(await Event.get(id=event.id))
    assert body["actor"] == {"kind": "SYSTEM", "id": None}
    assert "context" in body
    # Resolvers called with a principal outside any request: still SYSTEM (no request).
    assert operator_principal().audit_actor().kind.value == "OPERATOR_KEY"

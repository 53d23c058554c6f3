"""The sign-in recorder: the last N attempts per connection, with outcome, reason, the IdP's
issuer and NameID format, and the attributes received, values masked."""

from __future__ import annotations

import json

from gatehouse.models import SignInAttempt
from tests.sso.helpers import (
    assertion_for,
    post_acs,
    saml_connection,
    start_saml,
    verified_domain,
)
from tests.sso.saml_idp import make_keypair, signed

ATTEMPTS = """query($id: ID!) { node(id: $id) { ... on Connection {
  signInAttempts(first: 10) { totalCount edges { node {
    outcome reason message issuer nameIdFormat subject attributes occurredAt } } } } } }"""
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


async def test_attempts_record_outcome_reason_issuer_and_masked_attributes(
    client, make_org, idp_keys, gql, operator_token
):
    # given an organization with JIT and a SAML connection
    org = await make_org("Acme")
    org.jit_provisioning = True
    await org.save()
    await verified_domain(org)
    conn = await saml_connection(org, [idp_keys])

    # when alice signs in, then a response signed by another key arrives
    request_id = await start_saml(client, conn)
    ok = await post_acs(
        client, conn, signed(assertion_for(conn, in_response_to=request_id), idp_keys)
    )
    assert ok.status_code == 302, ok.text
    request_id = await start_saml(client, conn)
    forged = assertion_for(conn, in_response_to=request_id, issuer="https://evil.test/idp")
    refused = await post_acs(client, conn, signed(forged, make_keypair()))
    assert refused.status_code in (400, 403), refused.text
    reason = refused.json()["error"]

    # then both attempts read newest first through the connection
    body = await gql(ATTEMPTS, {"id": conn.id}, token=operator_token)
    assert "errors" not in body, body
    page = body["data"]["node"]["signInAttempts"]
    assert page["totalCount"] == 2
    failed, succeeded = (e["node"] for e in page["edges"])
    assert (failed["outcome"], failed["reason"]) == ("FAILED", reason)
    assert failed["issuer"] == "https://evil.test/idp"  # what it claimed, unverified
    assert (succeeded["outcome"], succeeded["reason"]) == ("SUCCEEDED", None)
    assert succeeded["issuer"] == "https://idp.test/metadata"
    assert succeeded["nameIdFormat"] == EMAIL_FORMAT
    # and values are masked, attribute names kept
    assert succeeded["subject"] == "a•••@acme.com"
    assert succeeded["attributes"] == {
        "email": ["a•••@acme.com"],
        "firstName": ["A•••"],
        "lastName": ["A•••"],
    }
    stored = json.dumps(list(await SignInAttempt.all().values()), default=str)
    assert "alice@acme.com" not in stored
    assert "alice@acme.com" not in json.dumps(page)

"""Structured logs: one JSON line per request with its context; no secret ever logged
(SECURITY 30). The secrets test greps everything logged, in-process (caplog, every logger at
DEBUG, SQL included) and by a real `gatehouse serve --log-format json`, for each secret."""

from __future__ import annotations

import json
import logging

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.models import Member
from gatehouse.server.logs import _SECRET_PATTERNS, JsonFormatter, redact
from tests.ops.procs import Server
from tests.people import signed_in

CREATE_KEY = """mutation CreateKey($org: ID!) { createApiKey(input: {name: "ci", organizationId: $org,
  scopes: ["organizations:read", "members:read"]}) { secret userErrors { code } } }"""
CREATE_MEMBER = """mutation AddMember($org: ID!) { createMember(input: {organizationId: $org,
  email: "ada@example.com"}) { member { id } userErrors { code } } }"""
ORG = "query Org($id: ID!) { organization(id: $id) { name } }"


async def _secret_traffic(post, org_id: str) -> list[str]:
    """Creates secrets over the API and then uses them every way a client might."""
    secrets_seen = []
    created = await post(CREATE_KEY, {"org": org_id})
    key = created["data"]["createApiKey"]["secret"]
    secrets_seen.append(key)
    # Used as a credential, in a query string, and echoed back by a validation error.
    await post(ORG, {"id": org_id}, token=key)
    await post(ORG, {"id": org_id}, token=key, params={"token": key})
    bad = await post(
        "query Bad($n: Int) { organizations(first: $n) { totalCount } }", {"n": key}, token=key
    )
    assert "REDACTED" not in str(bad)  # the caller may see its own input; the logs may not
    await post(ORG, {"id": org_id}, token=key + "x")  # a wrong key that shares the secret
    return secrets_seen


async def test_no_secret_in_any_log(
    client, operator_token, make_org, caplog, tmp_path, db, settings
):
    caplog.set_level(logging.DEBUG)
    org = await make_org("Acme")

    async def post_inprocess(query, variables, token=operator_token, params=None):
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.json()

    # Given secrets created and used in-process: an API key and a session token
    secrets = [operator_token, *await _secret_traffic(post_inprocess, org.id)]
    member_id = (await post_inprocess(CREATE_MEMBER, {"org": org.id}))["data"]["createMember"][
        "member"
    ]["id"]
    session = await signed_in(await Member.get(id=member_id), settings)
    secrets.append(session)
    await post_inprocess(ORG, {"id": org.id}, token=session, params={"token": session})

    # And through a real server logging JSON at DEBUG (SQL statements included)
    server = Server(db, tmp_path, "--log-format", "json", "--log-level", "debug")
    try:
        server.wait_ready()

        async def post_real(query, variables, token=operator_token, params=None):
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                response = await http.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    params=params,
                    headers={"Authorization": f"Bearer {token}"},
                )
            return response.json()

        secrets += await _secret_traffic(post_real, org.id)
        await post_real(ORG, {"id": org.id}, token=session, params={"token": session})
    finally:
        server.stop()
    served = server.logs()

    # Then no secret appears anywhere in what was logged
    assert len(secrets) == 4
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records) + served
    for secret in secrets:
        assert secret not in logged
        assert secret[3:20] not in logged  # not even the body of the secret
    # And the server logged JSON lines, one per request with its context
    lines = [json.loads(line) for line in served.splitlines() if line.startswith("{")]
    access = [e for e in lines if e["logger"] == "gatehouse.access"]
    assert len(access) >= 6
    org_reads = [e for e in access if e["operation"] == "Org" and e["status"] == 200]
    assert org_reads
    entry = org_reads[-1]
    assert entry["route"] == "/graphql"
    assert entry["request_id"].startswith("req_")
    assert entry["principal_kind"] == "SESSION"
    assert entry["organization_id"] == org.id
    assert isinstance(entry["duration_ms"], float)


async def test_access_log_line_in_process(client, operator_token, caplog):
    caplog.set_level(logging.INFO, logger="gatehouse.access")
    response = await client.post(
        "/graphql?token=abc",
        json={"query": "query Who { viewer { kind } }"},
        headers={"Authorization": f"Bearer {operator_token}"},
    )
    record = next(r for r in caplog.records if r.name == "gatehouse.access")
    assert record.request_id == response.headers["x-request-id"]
    assert (record.route, record.status, record.operation) == ("/graphql", 200, "Who")
    assert (record.principal_kind, record.organization_id) == ("OPERATOR", None)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "POST /graphql 200"
    assert "abc" not in json.dumps(line)


def test_redaction_patterns():
    assert redact("Authorization: Bearer abc.def-ghi") == "Authorization: Bearer [REDACTED]"
    assert (
        redact("GET /cb?code=xyz&state=1&token=t0k")
        == "GET /cb?code=[REDACTED]&state=1&token=[REDACTED]"
    )
    assert "sk_" + "a" * 43 not in redact("key sk_" + "a" * 43)
    assert redact("status_code=200 org_01J") == "status_code=200 org_01J"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Bearer ",
                "basic ",
                "eyJ",
                "hdr.",
                "pay.",
                "sig",
                "token=",
                "Client_Secret=",
                "code=",
                "sk_",
                "scim_",
                "a" * 16,
                "_",
                "=",
                "&",
                " ",
                '"',
                "x",
            ]
        ),
        max_size=12,
    ).map("".join)
)
def test_skipping_a_pattern_whose_text_is_absent_redacts_alike(text: str) -> None:
    # `redact` skips a pattern when the text it needs is not in the line; applying every
    # pattern to every line must give the same result.
    everything = text
    for pattern, replacement, _ in _SECRET_PATTERNS:
        everything = pattern.sub(replacement, everything)
    assert redact(text) == everything

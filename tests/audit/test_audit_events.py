"""createAuditEvent: checked against the action the operator registered; an idempotency key
writes once; organization keys cannot redefine actions."""

from __future__ import annotations

from gatehouse.models import AuditEntry, AuditSource

REGISTER = """mutation($i: RegisterAuditActionInput!) { registerAuditAction(input: $i) {
  auditAction { action targetTypes version } userErrors { field code } } }"""
CREATE = """mutation($i: CreateAuditEventInput!) { createAuditEvent(input: $i) {
  entry { id action actor { type id name } targets { type id } metadata
    context { location userAgent } }
  userErrors { field code message } } }"""
SCHEMA = {
    "type": "object",
    "properties": {"visibility": {"enum": ["team", "public"]}},
    "required": ["visibility"],
    "additionalProperties": False,
}


def event(org_id: str, **overrides):
    return {
        "organizationId": org_id,
        "action": "document.shared",
        "occurredAt": "2026-03-02T10:00:00Z",
        "actor": {"type": "user", "id": "u_1", "name": "Jo"},
        "targets": [{"type": "document", "id": "doc_9"}],
        "context": {"location": "203.0.113.9", "userAgent": "Mozilla/5.0"},
        "metadata": {"visibility": "team"},
        **overrides,
    }


async def _register(gql, token):
    body = await gql(
        REGISTER,
        {
            "i": {
                "action": "document.shared",
                "targetTypes": ["document", "team"],
                "metadataSchema": SCHEMA,
            }
        },
        token=token,
    )
    assert body["data"]["registerAuditAction"]["userErrors"] == []
    return body["data"]["registerAuditAction"]["auditAction"]


async def test_a_valid_event_is_one_entry(gql, operator_token, make_org):
    org = await make_org()
    assert (await _register(gql, operator_token))["version"] == 1
    body = await gql(CREATE, {"i": event(org.id)}, token=operator_token)
    payload = body["data"]["createAuditEvent"]
    assert payload["userErrors"] == []
    assert payload["entry"]["actor"] == {"type": "user", "id": "u_1", "name": "Jo"}
    assert payload["entry"]["context"] == {"location": "203.0.113.9", "userAgent": "Mozilla/5.0"}
    rows = await AuditEntry.filter(organization_id=org.id, source=AuditSource.OPERATOR)
    assert [r.action for r in rows] == ["document.shared"]


async def test_unregistered_action_and_wrong_schema_get_user_errors(gql, operator_token, make_org):
    org = await make_org()
    body = await gql(CREATE, {"i": event(org.id)}, token=operator_token)
    assert [e["code"] for e in body["data"]["createAuditEvent"]["userErrors"]] == [
        "AUDIT_ACTION_UNKNOWN"
    ]
    await _register(gql, operator_token)
    wrong = event(
        org.id,
        targets=[{"type": "document", "id": "d"}, {"type": "invoice", "id": "i"}],
        metadata={"visibility": "everyone", "extra": 1},
    )
    body = await gql(CREATE, {"i": wrong}, token=operator_token)
    errors = body["data"]["createAuditEvent"]["userErrors"]
    assert {(tuple(e["field"]), e["code"]) for e in errors} == {
        (("targets", "1", "type"), "INVALID_TARGET_TYPE"),
        (("metadata",), "INVALID_METADATA"),  # additionalProperties
        (("metadata", "visibility"), "INVALID_METADATA"),  # not in the enum
    }
    missing = event(org.id, metadata={})
    body = await gql(CREATE, {"i": missing}, token=operator_token)
    assert [e["code"] for e in body["data"]["createAuditEvent"]["userErrors"]] == [
        "INVALID_METADATA"
    ]
    assert await AuditEntry.filter(source=AuditSource.OPERATOR).count() == 0


async def test_invalid_metadata_schema_is_refused(gql, operator_token):
    body = await gql(
        REGISTER,
        {
            "i": {
                "action": "document.shared",
                "targetTypes": ["document"],
                "metadataSchema": {"type": "no-such-type"},
            }
        },
        token=operator_token,
    )
    errors = body["data"]["registerAuditAction"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["metadataSchema"], "INVALID_METADATA_SCHEMA")
    ]


async def test_same_idempotency_key_twice_writes_one_entry(gql, operator_token, make_org):
    org = await make_org()
    await _register(gql, operator_token)
    first = await gql(CREATE, {"i": event(org.id, idempotencyKey="k-1")}, token=operator_token)
    again = await gql(CREATE, {"i": event(org.id, idempotencyKey="k-1")}, token=operator_token)
    assert again["data"]["createAuditEvent"]["userErrors"] == []
    assert (
        again["data"]["createAuditEvent"]["entry"]["id"]
        == first["data"]["createAuditEvent"]["entry"]["id"]
    )
    assert await AuditEntry.filter(idempotency_key="k-1").count() == 1
    other = await gql(
        CREATE,
        {"i": event(org.id, idempotencyKey="k-1", metadata={"visibility": "public"})},
        token=operator_token,
    )
    assert [e["code"] for e in other["data"]["createAuditEvent"]["userErrors"]] == [
        "IDEMPOTENCY_KEY_REUSED"
    ]
    assert await AuditEntry.filter(idempotency_key="k-1").count() == 1
    # Keys are per organization: another organization's same key is its own entry.
    org2 = await make_org("Globex")
    await gql(CREATE, {"i": event(org2.id, idempotencyKey="k-1")}, token=operator_token)
    assert await AuditEntry.filter(idempotency_key="k-1").count() == 2


async def test_concurrent_retries_write_one_entry(gql, operator_token, make_org):
    import asyncio

    org = await make_org()
    await _register(gql, operator_token)
    bodies = await asyncio.gather(
        *(
            gql(CREATE, {"i": event(org.id, idempotencyKey="race")}, token=operator_token)
            for _ in range(6)
        )
    )
    ids = {b["data"]["createAuditEvent"]["entry"]["id"] for b in bodies}
    assert len(ids) == 1
    assert await AuditEntry.filter(idempotency_key="race").count() == 1

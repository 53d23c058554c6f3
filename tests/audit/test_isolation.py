"""Tenant isolation of the audit fields: an organization key of A gets nothing of B and
changes nothing there; deployment-wide settings are the operator's."""

from __future__ import annotations

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import AuditAction, AuditEntry, AuditSettings
from gatehouse.resolvers import api_keys, members

AT = "2026-03-02T10:00:00Z"
CASES = {
    "createAuditEvent": (
        """mutation($o: ID!) { createAuditEvent(input: {organizationId: $o, action: "doc.read",
           occurredAt: "2026-03-02T10:00:00Z", actor: {type: "user", id: "u"}, targets: []})
           { userErrors { field code } } }""",
        "NOT_FOUND",
    ),
    "setAuditLogRetention": (
        """mutation($o: ID!) { setAuditLogRetention(input: {organizationId: $o,
           retentionDays: 30}) { userErrors { field code } } }""",
        "NOT_FOUND",
    ),
    "createAuditLogExport": (
        """mutation($o: ID!) { createAuditLogExport(input: {organizationId: $o,
           rangeStart: "2020-01-01T00:00:00Z", rangeEnd: "2030-01-01T00:00:00Z"})
           { userErrors { field code } } }""",
        "NOT_FOUND",
    ),
    "accessReview": (
        """mutation($o: ID!) { accessReview(input: {organizationId: $o,
           at: "2026-01-01T00:00:00Z"}) { userErrors { field code } } }""",
        "NOT_FOUND",
    ),
}


@pytest.fixture
async def orgs(make_org, operator_token):
    a, b = await make_org("A"), await make_org("B")
    await members.create_member(operator_principal(), b.id, "boss@b.example", "admin")
    await AuditAction.create(action="doc.read", target_types=["doc"])
    _, a_key = await api_keys.create_api_key(operator_principal(), "a", a.id)
    return a, b, a_key


async def _snapshot():
    return (
        await AuditEntry.all().count(),
        await AuditSettings.all().count(),
        await AuditAction.all().values("action", "version"),
    )


@pytest.mark.parametrize("name", list(CASES))
async def test_scoped_key_cannot_touch_another_org(gql, orgs, name):
    a, b, a_key = orgs
    mutation, code = CASES[name]
    before = await _snapshot()
    body = await gql(mutation, {"o": b.id}, token=a_key)
    assert [e["code"] for e in body["data"][name]["userErrors"]] == [code]
    assert await _snapshot() == before


async def test_registering_actions_and_retention_are_operator_only(gql, orgs):
    a, _, a_key = orgs
    before = await _snapshot()
    body = await gql(
        """mutation { registerAuditAction(input: {action: "doc.read", targetTypes: ["x"]})
           { userErrors { code } } }""",
        token=a_key,
    )
    assert body["data"]["registerAuditAction"]["userErrors"] == [{"code": "OPERATOR_ONLY"}]
    body = await gql(CASES["setAuditLogRetention"][0], {"o": a.id}, token=a_key)
    assert body["data"]["setAuditLogRetention"]["userErrors"] == [
        {"field": None, "code": "OPERATOR_ONLY"}
    ]
    assert await _snapshot() == before


async def test_audit_logs_and_as_of_of_another_org_read_nothing(gql, orgs):
    _, b, a_key = orgs
    body = await gql(
        """query($o: ID!) { organization(id: $o) { auditLogs { totalCount }
             members(asOf: "2030-01-01T00:00:00Z") { totalCount } } }""",
        {"o": b.id},
        token=a_key,
    )
    assert body["data"]["organization"] is None


async def test_audit_logs_show_own_entries_with_actor(gql, orgs, operator_token):
    a, _, a_key = orgs
    await gql(
        """mutation($o: ID!) { createMember(input: {organizationId: $o, email: "x@a.example"})
           { userErrors { code } } }""",
        {"o": a.id},
        token=a_key,
    )
    body = await gql(
        """query($o: ID!) { organization(id: $o) { auditLogs(actions:
             ["organization_membership.created"]) { totalCount edges { node { action
             actor { type id } targets { type id } context { requestId } } } } } }""",
        {"o": a.id},
        token=a_key,
    )
    page = body["data"]["organization"]["auditLogs"]
    assert page["totalCount"] == 1
    node = page["edges"][0]["node"]
    key_id = (await api_keys.ApiKey.get(organization_id=a.id)).id
    assert node["actor"] == {"type": "ORGANIZATION_KEY", "id": key_id}
    assert node["targets"][0]["type"] == "Member"
    assert node["context"]["requestId"].startswith("req_")

"""Exports: exactly the entries in the range, served through signed URLs that expire;
`audit_log_export.ready`; access reviews of an instant."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

from gatehouse.auth.principal import operator_principal
from gatehouse.models import AuditEntry, Event
from gatehouse.resolvers import members

EXPORT = """mutation($i: CreateAuditLogExportInput!) { createAuditLogExport(input: $i) {
  export { id kind entryCount csvUrl jsonlUrl urlsExpireAt } userErrors { field code } } }"""
REVIEW = """mutation($i: AccessReviewInput!) { accessReview(input: $i) {
  export { id kind entryCount csvUrl jsonlUrl } userErrors { field code } } }"""


async def _history(make_org, clock):
    """Acme and Globex, each with changes on days 0..4."""
    op = operator_principal()
    acme, globex = await make_org("Acme"), await make_org("Globex")
    marks = []
    for day in range(5):
        marks.append(clock.advance(days=1))
        await members.create_member(op, acme.id, f"a{day}@acme.example", "member")
        await members.create_member(op, globex.id, f"g{day}@globex.example", "member")
    return acme, globex, marks


async def _download(client, url: str):
    return await client.get(url.removeprefix("http://localhost:8000"))


async def test_export_has_exactly_the_range(gql, client, operator_token, make_org, clock):
    acme, _, marks = await _history(make_org, clock)
    start, end = marks[1], marks[3]  # [day 1, day 3): the changes of days 1 and 2
    body = await gql(
        EXPORT,
        {
            "i": {
                "organizationId": acme.id,
                "rangeStart": start.isoformat(),
                "rangeEnd": end.isoformat(),
            }
        },
        token=operator_token,
    )
    export = body["data"]["createAuditLogExport"]["export"]
    expected = await AuditEntry.filter(
        organization_id=acme.id, occurred_at__gte=start, occurred_at__lt=end
    ).order_by("occurred_at", "id")
    assert expected
    assert export["entryCount"] == len(expected)
    r = await _download(client, export["jsonlUrl"])
    assert r.status_code == 200
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert [x["id"] for x in lines] == [e.id for e in expected]
    assert {x["organization_id"] for x in lines} == {acme.id}
    assert all(x["actor"]["type"] == "SYSTEM" for x in lines)  # resolvers called directly
    r = await _download(client, export["csvUrl"])
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["id"] for row in rows] == [e.id for e in expected]
    ready = await Event.filter(type="audit_log_export.ready", organization_id=acme.id)
    assert [e.data["id"] for e in ready] == [export["id"]]
    assert "signature" not in json.dumps(ready[0].data)


async def test_filters_by_action_and_actor(gql, client, operator_token, make_org, clock):
    acme, _, marks = await _history(make_org, clock)
    body = await gql(
        EXPORT,
        {
            "i": {
                "organizationId": acme.id,
                "rangeStart": marks[0].isoformat(),
                "rangeEnd": (marks[-1] + timedelta(days=1)).isoformat(),
                "actions": ["organization_membership.created"],
                "actorIds": ["nobody"],
            }
        },
        token=operator_token,
    )
    assert body["data"]["createAuditLogExport"]["export"]["entryCount"] == 0


async def test_signed_url_expires_and_cannot_be_altered(
    gql, client, operator_token, make_org, clock
):
    acme, _, marks = await _history(make_org, clock)
    body = await gql(
        EXPORT,
        {
            "i": {
                "organizationId": acme.id,
                "rangeStart": marks[0].isoformat(),
                "rangeEnd": (marks[-1] + timedelta(days=1)).isoformat(),
            }
        },
        token=operator_token,
    )
    export = body["data"]["createAuditLogExport"]["export"]
    url = export["csvUrl"]
    assert (await _download(client, url)).status_code == 200
    # No credential needed, and any change to the URL breaks it.
    assert (await _download(client, url.replace(".csv?", ".jsonl?"))).status_code == 404
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert (await _download(client, tampered)).status_code == 404
    other = url.replace(export["id"], "aexp_01J00000000000000000000000")
    assert (await _download(client, other)).status_code == 404
    # "²" is a digit to str.isdigit but not to int(): once a 500
    superscript = re.sub(r"expires=\d+", "expires=%C2%B2", url)
    assert superscript != url
    assert (await _download(client, superscript)).status_code == 404
    clock.advance(minutes=14)
    assert (await _download(client, url)).status_code == 200
    clock.advance(minutes=2)
    r = await _download(client, url)
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"


async def test_one_organizations_export_never_has_anothers_entries(
    gql, client, operator_token, make_org, clock
):
    from gatehouse.resolvers import api_keys

    acme, globex, marks = await _history(make_org, clock)
    _, acme_key = await api_keys.create_api_key(operator_principal(), "acme", acme.id)
    window = {
        "rangeStart": marks[0].isoformat(),
        "rangeEnd": (marks[-1] + timedelta(days=1)).isoformat(),
    }
    body = await gql(EXPORT, {"i": {"organizationId": acme.id, **window}}, token=acme_key)
    export = body["data"]["createAuditLogExport"]["export"]
    lines = [json.loads(x) for x in (await _download(client, export["jsonlUrl"])).text.splitlines()]
    assert lines
    assert {x["organization_id"] for x in lines} == {acme.id}
    assert globex.id not in (await _download(client, export["csvUrl"])).text
    # Acme's key asking for Globex's trail: not found, nothing written.
    before = await Event.filter(type="audit_log_export.ready").count()
    body = await gql(EXPORT, {"i": {"organizationId": globex.id, **window}}, token=acme_key)
    assert body["data"]["createAuditLogExport"] == {
        "export": None,
        "userErrors": [{"field": ["organizationId"], "code": "NOT_FOUND"}],
    }
    assert await Event.filter(type="audit_log_export.ready").count() == before


async def test_bad_range_is_a_user_error(gql, operator_token, make_org, clock):
    acme = await make_org()
    at = clock.now().isoformat()
    body = await gql(
        EXPORT,
        {"i": {"organizationId": acme.id, "rangeStart": at, "rangeEnd": at}},
        token=operator_token,
    )
    assert body["data"]["createAuditLogExport"]["userErrors"] == [
        {"field": ["rangeStart"], "code": "INVALID_RANGE"}
    ]


async def test_access_review_exports_the_snapshot(gql, client, operator_token, make_org, clock):
    acme, _, marks = await _history(make_org, clock)
    at = marks[2] + timedelta(hours=1)  # a0, a1, a2 had joined
    body = await gql(
        REVIEW, {"i": {"organizationId": acme.id, "at": at.isoformat()}}, token=operator_token
    )
    export = body["data"]["accessReview"]["export"]
    assert export["kind"] == "ACCESS_REVIEW"
    rows = [json.loads(x) for x in (await _download(client, export["jsonlUrl"])).text.splitlines()]
    assert sorted(r["email"] for r in rows) == [f"a{i}@acme.example" for i in range(3)]
    assert {(r["role"], r["status"], r["source"]) for r in rows} == {("member", "ACTIVE", "MANUAL")}
    text = (await _download(client, export["csvUrl"])).text
    assert text.splitlines()[0] == "member_id,user_id,email,role,status,source,since"

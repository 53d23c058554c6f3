"""Invitation tokens appear only in the email: never in logs, events or API responses."""

from __future__ import annotations

import json
import logging

from gatehouse.models import Event, Invitation
from gatehouse.pages.invitation import RedactInvitationTokens
from tests.invitations.conftest import ACCEPT, INVITE, RESEND, REVOKE


async def test_tokens_never_leave_the_email(gql, client, smtp, make_org, org_key, caplog):
    caplog.set_level(logging.DEBUG)
    org = await make_org()
    key = await org_key(org)
    responses = []
    body = await gql(INVITE, {"i": {"organizationId": org.id, "email": "s@x.test"}}, token=key)
    responses.append(body)
    invitation = body["data"]["createInvitation"]["invitation"]["id"]
    responses.append(await gql(RESEND, {"i": {"invitationId": invitation}}, token=key))
    second = await gql(INVITE, {"i": {"organizationId": org.id, "email": "t@x.test"}}, token=key)
    responses.append(second)
    page = await client.get(f"/invitations/{smtp.inbox.last_token()}")
    responses.append({"page": page.text})
    responses.append(
        await gql(
            REVOKE,
            {"i": {"invitationId": second["data"]["createInvitation"]["invitation"]["id"]}},
            token=key,
        )
    )
    first_token = smtp.inbox.messages[1].get_body(("plain",)).get_content()
    accepted = await gql(ACCEPT, {"i": {"token": _token(first_token)}})
    responses.append(accepted)
    full = await gql(
        """query($id: ID!) { invitation(id: $id) { id email state lastSendError } }""",
        {"id": invitation},
        token=key,
    )
    responses.append(full)

    tokens = [_token(m.get_body(("plain",)).get_content()) for m in smtp.inbox.messages]
    assert len(set(tokens)) == 3
    hashes = [i.token_hash for i in await Invitation.all()]
    events = json.dumps([e.data for e in await Event.all()])
    # Everything the server side logged (httpx is this test's own client, printing its URLs).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "httpx")
    for secret in tokens:
        assert secret not in logged
        assert secret not in events
        assert secret not in json.dumps(responses)
    for digest in hashes:
        assert digest not in events
        assert digest not in json.dumps(responses)


def _token(text: str) -> str:
    from tests.invitations.conftest import LINK

    found = LINK.search(text)
    assert found
    return found.group(1)


def test_access_log_paths_are_redacted():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/invitations/invtok_AbC-123_x?x=1", "1.1", 200),
        None,
    )
    assert RedactInvitationTokens().filter(record)
    assert record.getMessage() == (
        '127.0.0.1:5000 - "GET /invitations/invtok_[redacted]?x=1 HTTP/1.1" 200'
    )

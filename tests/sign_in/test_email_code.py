"""Email codes end to end, over real SMTP: the code by mail, then tokens, then `viewer` through
the access token; five wrong tries, expiry, reuse; and the same answer for unknown addresses
(SECURITY 48)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from gatehouse.auth import clock
from gatehouse.models import Event, Session, SignInCode, User
from tests.sign_in.conftest import SEND, VIEWER, WITH_CODE, code_in, page_in
from tests.smtp_fixture import text_of


async def test_code_by_mail_then_tokens_then_viewer(
    gql, smtp, operator_token, make_org, person, caplog
):
    # given a member of Acme with no identity provider
    caplog.set_level(logging.DEBUG)
    org = await make_org("Acme")
    grace = await person("grace@acme.test", org)

    # when the operator's backend asks for a code for her
    sent = await gql(
        SEND,
        {"i": {"email": "Grace@Acme.test", "ipAddress": "203.0.113.9", "userAgent": "Firefox"}},
        token=operator_token,
    )
    assert sent["data"]["sendSignInCode"]["userErrors"] == []

    # then a 6-digit code and a link to the code page arrive by mail
    mail = smtp.inbox.messages[-1]
    assert smtp.inbox.envelopes[-1].rcpt_tos == ["grace@acme.test"]
    assert mail["Subject"] == "Your sign-in code"
    code = code_in(mail)
    assert code not in mail["Subject"]
    assert page_in(mail).startswith("sic_")

    # when she types it in the operator's app
    client = {"ipAddress": "203.0.113.9", "userAgent": "Firefox"}
    body = await gql(
        WITH_CODE, {"i": {"email": "grace@acme.test", "code": code, **client}}, token=operator_token
    )
    result = body["data"]["authenticateWithCode"]
    assert result["userErrors"] == []
    auth = result["authentication"]
    assert auth["authenticationMethod"] == "EMAIL_CODE"
    assert auth["user"] == {"id": grace.user_id, "email": "grace@acme.test"}
    assert auth["organization"] == {"id": org.id}
    assert auth["member"]["id"] == grace.memberships[org.id].id
    assert auth["accessToken"].count(".") == 2
    assert auth["refreshToken"].startswith("rt_")
    session = await Session.get(member_id=grace.memberships[org.id].id)
    assert (session.ip_address, session.user_agent) == ("203.0.113.9", "Firefox")
    assert (await User.get(id=grace.user_id)).email_verified is True

    # then the access token is a credential for the GraphQL API
    viewer = (await gql(VIEWER, token=auth["accessToken"]))["data"]["viewer"]
    assert viewer == {
        "kind": "SESSION",
        "organizationId": org.id,
        "user": {"id": grace.user_id, "email": "grace@acme.test"},
        "organization": {"id": org.id},
        "organizations": [{"id": org.id}],
        "member": {"id": grace.memberships[org.id].id},
    }
    assert await Event.filter(type="session.created", organization_id=org.id).count() == 1
    assert await Event.filter(type="authentication.email_code_succeeded").count() == 1

    # and the code is single use
    again = await gql(
        WITH_CODE, {"i": {"email": "grace@acme.test", "code": code}}, token=operator_token
    )
    assert again["data"]["authenticateWithCode"]["userErrors"][0]["code"] == "INVALID_CODE"
    # and it never reached a log line of Gatehouse's (the test's mail server, standing in for
    # her mailbox, logs what it receives)
    assert not [r for r in caplog.records if r.name != "mail.log" and code in r.getMessage()]


async def test_five_wrong_codes_kill_the_code(gql, smtp, operator_token, make_org, person):
    org = await make_org()
    await person("lin@acme.test", org)
    await gql(SEND, {"i": {"email": "lin@acme.test"}}, token=operator_token)
    code = code_in(smtp.inbox.messages[-1])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        body = await gql(
            WITH_CODE, {"i": {"email": "lin@acme.test", "code": wrong}}, token=operator_token
        )
        assert body["data"]["authenticateWithCode"]["userErrors"][0]["code"] == "INVALID_CODE"
    assert (await SignInCode.get(email="lin@acme.test")).attempts == 5
    # the right code, now, is refused just the same, and no session exists
    body = await gql(
        WITH_CODE, {"i": {"email": "lin@acme.test", "code": code}}, token=operator_token
    )
    result = body["data"]["authenticateWithCode"]
    assert result["authentication"] is None
    assert result["userErrors"][0]["code"] == "INVALID_CODE"
    assert await Session.all().count() == 0


async def test_an_expired_code_is_refused(gql, smtp, operator_token, make_org, person, monkeypatch):
    org = await make_org()
    await person("ada@acme.test", org)
    await gql(SEND, {"i": {"email": "ada@acme.test"}}, token=operator_token)
    code = code_in(smtp.inbox.messages[-1])
    later = clock.now() + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    body = await gql(
        WITH_CODE, {"i": {"email": "ada@acme.test", "code": code}}, token=operator_token
    )
    assert body["data"]["authenticateWithCode"]["userErrors"][0]["code"] == "INVALID_CODE"
    assert await Session.all().count() == 0


async def test_a_newer_code_replaces_the_earlier_one(gql, smtp, operator_token, make_org, person):
    org = await make_org()
    await person("ada@acme.test", org)
    await gql(SEND, {"i": {"email": "ada@acme.test"}}, token=operator_token)
    first = code_in(smtp.inbox.messages[-1])
    await gql(SEND, {"i": {"email": "ada@acme.test"}}, token=operator_token)
    second = code_in(smtp.inbox.messages[-1])
    if first != second:
        body = await gql(
            WITH_CODE, {"i": {"email": "ada@acme.test", "code": first}}, token=operator_token
        )
        assert body["data"]["authenticateWithCode"]["userErrors"][0]["code"] == "INVALID_CODE"
    body = await gql(
        WITH_CODE, {"i": {"email": "ada@acme.test", "code": second}}, token=operator_token
    )
    assert body["data"]["authenticateWithCode"]["userErrors"] == []


async def test_an_unknown_address_gets_the_same_answers(
    gql, smtp, operator_token, make_org, person
):
    # given one address that belongs to a member and one that belongs to nobody
    org = await make_org()
    await person("known@acme.test", org)
    answers = {}
    for email in ("known@acme.test", "nobody@acme.test"):
        sent = await gql(SEND, {"i": {"email": email}}, token=operator_token)
        mail = smtp.inbox.messages[-1]
        code = code_in(mail)
        wrong = "000000" if code != "000000" else "111111"
        tried = await gql(WITH_CODE, {"i": {"email": email, "code": wrong}}, token=operator_token)
        answers[email] = (sent, tried, text_of(mail).replace(code, "CODE"))
    known, unknown = answers["known@acme.test"], answers["nobody@acme.test"]
    # then sending answers the same, a mail goes to both, and a wrong code reads the same
    assert known[0] == unknown[0] == {"data": {"sendSignInCode": {"userErrors": []}}}
    assert known[1] == unknown[1]
    assert known[2].split("code/")[0] == unknown[2].split("code/")[0]
    assert len(smtp.inbox.messages) == 2


async def test_the_right_code_for_an_address_nobody_has_is_no_sign_in(gql, smtp, operator_token):
    await gql(SEND, {"i": {"email": "new@acme.test"}}, token=operator_token)
    code = code_in(smtp.inbox.messages[-1])
    body = await gql(
        WITH_CODE, {"i": {"email": "new@acme.test", "code": code}}, token=operator_token
    )
    result = body["data"]["authenticateWithCode"]
    assert result["authentication"] is None
    assert result["userErrors"][0]["code"] == "MEMBERSHIP_REQUIRED"
    assert await User.all().count() == 0  # no account made for an address without organization


@pytest.mark.parametrize(
    ("field", "values", "limit"),
    [
        ("email", lambda _: {"email": "spam@acme.test"}, 5),
        ("ipAddress", lambda i: {"email": f"p{i}@acme.test", "ipAddress": "198.51.100.7"}, 20),
    ],
)
async def test_sending_is_limited_per_address_and_per_client(
    gql, smtp, operator_token, field, values, limit
):
    for i in range(limit):
        body = await gql(SEND, {"i": values(i)}, token=operator_token)
        assert body["data"]["sendSignInCode"]["userErrors"] == [], i
    body = await gql(SEND, {"i": values(limit)}, token=operator_token)
    assert body["data"]["sendSignInCode"]["userErrors"][0]["code"] == "RATE_LIMITED"
    assert len(smtp.inbox.messages) == limit


async def test_only_the_operator_sends_and_checks_codes(gql, smtp, make_org, org_token, person):
    org = await make_org()
    await person("ada@acme.test", org)
    scoped = await org_token(org)
    for mutation, variables in (
        (SEND, {"i": {"email": "ada@acme.test"}}),
        (WITH_CODE, {"i": {"email": "ada@acme.test", "code": "123456"}}),
    ):
        body = await gql(mutation, variables, token=scoped)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await SignInCode.all().count() == 0
    assert smtp.inbox.messages == []


async def test_redirect_uri_must_be_allow_listed(gql, smtp, operator_token):
    body = await gql(
        SEND,
        {"i": {"email": "ada@acme.test", "redirectUri": "https://evil.example/cb"}},
        token=operator_token,
    )
    assert body["data"]["sendSignInCode"]["userErrors"][0]["code"] == "INVALID_REDIRECT_URI"
    assert smtp.inbox.messages == []

"""The hosted pages hand the person on to the operator's app with a one-time code that
POST /sso/token trades for the same authentication as every other way in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from gatehouse.models import Event, Invitation, SsoCode
from tests.invitations.conftest import INVITE, token_in
from tests.sign_in.conftest import APP, SEND, VIEWER, code_in, page_in


def _code_from(location: str, expected_target: str) -> str:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == expected_target
    return parse_qs(parts.query)["code"][0]


async def _exchange(client, code: str, key: str):
    return await client.post(
        "/sso/token", data={"code": code}, headers={"Authorization": f"Bearer {key}"}
    )


async def test_invitation_page_redirects_with_a_code_that_buys_the_authentication(
    gql, client, smtp, make_org, operator_token
):
    # given an invitation to be sent on to the app's other allow-listed URI
    org = await make_org("Acme")
    body = await gql(
        INVITE,
        {
            "i": {
                "organizationId": org.id,
                "email": "grace@acme.test",
                "redirectUri": "https://app.example.com/other",
            }
        },
        token=operator_token,
    )
    assert body["data"]["createInvitation"]["userErrors"] == []
    token = token_in(smtp.inbox.messages[-1])

    # when she accepts on the hosted page
    page = await client.post(f"/invitations/{token}", data={"first_name": "Grace"})

    # then the page sends her to the app with a one-time code, and the form may go there
    assert page.status_code == 303, page.text
    code = _code_from(page.headers["location"], "https://app.example.com/other")
    assert "https://app.example.com" in page.headers["content-security-policy"]
    assert await SsoCode.filter(authentication_method="INVITATION").count() == 1

    # and the app's backend trades it for the same authentication as SSO and codes give
    exchanged = await _exchange(client, code, operator_token)
    assert exchanged.status_code == 200, exchanged.text
    result = exchanged.json()
    assert result["authentication_method"] == "INVITATION"
    assert result["organization"]["id"] == org.id
    assert result["user"]["email"] == "grace@acme.test"
    assert result["member"]["source"] == "INVITATION"
    assert result["refresh_token"].startswith("rt_")
    viewer = await gql(VIEWER, token=result["access_token"])
    assert viewer["data"]["viewer"]["organizationId"] == org.id
    # the code works once
    assert (await _exchange(client, code, operator_token)).json()["error"] == "invalid_grant"


async def test_an_invitation_redirect_must_be_allow_listed(gql, smtp, make_org, operator_token):
    org = await make_org()
    body = await gql(
        INVITE,
        {
            "i": {
                "organizationId": org.id,
                "email": "x@acme.test",
                "redirectUri": "https://evil.example/",
            }
        },
        token=operator_token,
    )
    errors = body["data"]["createInvitation"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["redirectUri"], "INVALID_REDIRECT_URI")]
    assert await Invitation.all().count() == 0
    assert smtp.inbox.messages == []


async def test_code_page_hands_off_to_the_app(gql, client, smtp, make_org, person, operator_token):
    # given a member who asked for a code
    org = await make_org("Acme")
    grace = await person("grace@acme.test", org)
    await gql(SEND, {"i": {"email": "grace@acme.test"}}, token=operator_token)
    mail = smtp.inbox.messages[-1]
    page_id, code = page_in(mail), code_in(mail)

    # when she opens the link: the address is masked, and nothing is used up
    shown = await client.get(f"/sign-in/code/{page_id}")
    assert shown.status_code == 200
    assert "g****@acme.test" in shown.text
    assert "grace@acme.test" not in shown.text
    # a wrong code shows the form again
    wrong = await client.post(
        f"/sign-in/code/{page_id}", data={"code": "000000" if code != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert "not right" in wrong.text

    # when she types the right one
    typed = await client.post(f"/sign-in/code/{page_id}", data={"code": code})

    # then she goes on to the app, whose backend trades the code for her authentication
    assert typed.status_code == 303, typed.text
    handoff = _code_from(typed.headers["location"], APP)
    result = (await _exchange(client, handoff, operator_token)).json()
    assert result["authentication_method"] == "EMAIL_CODE"
    assert result["member"]["id"] == grace.memberships[org.id].id
    # and the page's code is used up
    assert (await client.get(f"/sign-in/code/{page_id}")).status_code == 410


async def test_code_page_for_a_person_in_several_organizations_asks_the_app_to_choose(
    gql, client, smtp, make_org, person, operator_token
):
    acme, beta = await make_org("Acme"), await make_org("Beta")
    await person("sam@example.test", acme, beta)
    await gql(SEND, {"i": {"email": "sam@example.test"}}, token=operator_token)
    mail = smtp.inbox.messages[-1]
    typed = await client.post(f"/sign-in/code/{page_in(mail)}", data={"code": code_in(mail)})
    handoff = _code_from(typed.headers["location"], APP)
    answer = await _exchange(client, handoff, operator_token)
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "organization_selection_required"
    assert body["pending_authentication_token"].startswith("pauth_")
    assert {o["id"] for o in body["organizations"]} == {acme.id, beta.id}


async def test_a_handoff_for_a_person_still_to_choose_is_the_operators_alone(
    gql, client, smtp, make_org, person, operator_token, org_token
):
    org = await make_org("Acme")
    await person("ada@acme.test", org)
    await gql(SEND, {"i": {"email": "ada@acme.test"}}, token=operator_token)
    mail = smtp.inbox.messages[-1]
    typed = await client.post(f"/sign-in/code/{page_in(mail)}", data={"code": code_in(mail)})
    handoff = _code_from(typed.headers["location"], APP)
    before = await Event.filter(type="session.created").count()
    refused = await _exchange(client, handoff, await org_token(org))
    assert refused.json()["error"] == "invalid_grant"
    assert await Event.filter(type="session.created").count() == before

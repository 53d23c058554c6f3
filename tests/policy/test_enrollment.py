"""Enrollment by verified domain: AUTOMATIC joins, REQUEST asks the organization's admins, and
NONE waits for an invitation, whichever way the person proved the email."""

from __future__ import annotations

import asyncio
import os

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import (
    DomainEnrollment,
    Event,
    Member,
    MemberSource,
    MemberStatus,
    Role,
    Session,
    User,
)
from gatehouse.resolvers import members
from gatehouse.resolvers.sign_in.codes import authenticate_with_code
from gatehouse.resolvers.sso.sign_in import SsoProfile, complete_sign_in
from tests.policy.conftest import oidc_connection, verified_domain
from tests.sign_in.conftest import code_in

MEMBERS = """query($id: ID!, $s: MemberStatus) { organization(id: $id) {
  members(status: $s) { edges { node { id status source user { email } } } } } }"""
DECIDE = """mutation($i: MemberInput!) { %s(input: $i) {
  member { id status } userErrors { field code } } }"""
ENROLL = """mutation($i: SetDomainEnrollmentInput!) { setDomainEnrollment(input: $i) {
  domain { id enrollment } userErrors { field code } } }"""
ROUTE = """query($e: String!) { resolveSignIn(email: $e) { method enrollment
  organization { id } } }"""


async def _acme(make_org, enrollment: DomainEnrollment):
    acme = await make_org("Acme")
    domain = await verified_domain(acme, "acme.com", enrollment)
    await members.create_member(operator_principal(), acme.id, "boss@acme.com", "admin")
    return acme, domain


async def test_automatic_a_new_person_signs_in_by_code_and_is_an_active_member(
    make_org, sign_in_with_code, gql, operator_token
):
    acme, domain = await _acme(make_org, DomainEnrollment.AUTOMATIC)
    assert await User.filter(email="new@acme.com").count() == 0

    payload = await sign_in_with_code("new@acme.com")

    assert payload["userErrors"] == []
    assert payload["authentication"]["authenticationMethod"] == "EMAIL_CODE"
    member = await Member.get(organization_id=acme.id, user__email="new@acme.com")
    assert member.status is MemberStatus.ACTIVE
    assert member.source is MemberSource.DOMAIN
    assert (await Role.get(id=member.role_id)).slug == acme.default_role_slug
    assert (await User.get(email="new@acme.com")).email_verified
    assert payload["authentication"]["member"]["id"] == member.id
    [event] = [
        e
        for e in await Event.filter(type="organization_membership.created")
        if e.data["id"] == member.id
    ]
    assert event.data["source"] == "DOMAIN"
    assert event.data["domain_id"] == domain.id


async def test_automatic_also_through_the_organizations_sso_with_jit_off(
    make_org, provider, sign_in_with_sso
):
    acme, _ = await _acme(make_org, DomainEnrollment.AUTOMATIC)
    assert not acme.jit_provisioning
    conn = await oidc_connection(acme, provider)

    outcome = await sign_in_with_sso(conn, "sso@acme.com", "okta-sso")

    assert outcome.issued, outcome
    member = await Member.get(organization_id=acme.id, user__email="sso@acme.com")
    assert member.source is MemberSource.DOMAIN
    assert member.status is MemberStatus.ACTIVE


async def test_none_still_needs_an_invitation(make_org, sign_in_with_code):
    await _acme(make_org, DomainEnrollment.NONE)

    payload = await sign_in_with_code("new@acme.com")

    assert payload["userErrors"][0]["code"] == "MEMBERSHIP_REQUIRED"
    assert await User.filter(email="new@acme.com").count() == 0


async def test_a_code_enrolls_nobody_where_the_organization_allows_only_sso(
    make_org, sign_in_with_code, set_policy
):
    acme, _ = await _acme(make_org, DomainEnrollment.AUTOMATIC)
    await set_policy(acme, allowedAuthMethods=["SSO"])

    payload = await sign_in_with_code("new@acme.com")

    assert payload["authentication"] is None
    assert await User.filter(email="new@acme.com").count() == 0


async def test_request_pending_then_approved_then_signs_in(
    make_org, sign_in_with_code, gql, operator_token
):
    acme, _ = await _acme(make_org, DomainEnrollment.REQUEST)

    first = await sign_in_with_code("asker@acme.com")

    # a pending membership, no session
    assert first["authentication"] is None
    assert first["userErrors"][0]["code"] == "MEMBERSHIP_PENDING_APPROVAL"
    member = await Member.get(organization_id=acme.id, user__email="asker@acme.com")
    assert member.status is MemberStatus.PENDING
    assert member.source is MemberSource.DOMAIN
    assert await Session.filter(member_id=member.id).count() == 0
    requested = await Event.get(type="organization_membership.requested")
    assert requested.data["id"] == member.id
    assert requested.organization_id == acme.id

    # the admins see the request
    body = await gql(MEMBERS, {"id": acme.id, "s": "PENDING"}, token=operator_token)
    edges = body["data"]["organization"]["members"]["edges"]
    assert [e["node"]["user"]["email"] for e in edges] == ["asker@acme.com"]

    # asking again while it waits answers the same, and asks nobody twice
    again = await sign_in_with_code("asker@acme.com")
    assert again["userErrors"][0]["code"] == "MEMBERSHIP_PENDING_APPROVAL"
    assert await Event.filter(type="organization_membership.requested").count() == 1

    body = await gql(
        DECIDE % "approveMembership", {"i": {"memberId": member.id}}, token=operator_token
    )
    assert body["data"]["approveMembership"] == {
        "member": {"id": member.id, "status": "ACTIVE"},
        "userErrors": [],
    }
    approved = await Event.get(type="organization_membership.approved")
    assert approved.data["id"] == member.id

    after = await sign_in_with_code("asker@acme.com")
    assert after["userErrors"] == []
    assert after["authentication"]["member"]["id"] == member.id


async def test_request_denied_then_cannot_sign_in_or_ask_again(
    make_org, sign_in_with_code, gql, operator_token
):
    acme, _ = await _acme(make_org, DomainEnrollment.REQUEST)
    await sign_in_with_code("asker@acme.com")
    member = await Member.get(organization_id=acme.id, user__email="asker@acme.com")

    body = await gql(
        DECIDE % "denyMembership", {"i": {"memberId": member.id}}, token=operator_token
    )

    assert body["data"]["denyMembership"]["member"]["status"] == "INACTIVE"
    denied = await Event.get(type="organization_membership.denied")
    assert denied.data["id"] == member.id
    after = await sign_in_with_code("asker@acme.com")
    assert after["authentication"] is None
    assert after["userErrors"][0]["code"] == "MEMBERSHIP_REQUIRED"
    assert await Event.filter(type="organization_membership.requested").count() == 1
    assert await Session.filter(member_id=member.id).count() == 0


async def test_only_a_pending_membership_is_approved_or_denied_and_not_reactivated(
    make_org, sign_in_with_code, gql, operator_token
):
    acme, _ = await _acme(make_org, DomainEnrollment.REQUEST)
    boss = await Member.get(organization_id=acme.id, user__email="boss@acme.com")
    await sign_in_with_code("asker@acme.com")
    pending = await Member.get(organization_id=acme.id, user__email="asker@acme.com")

    for mutation in ("approveMembership", "denyMembership"):
        body = await gql(DECIDE % mutation, {"i": {"memberId": boss.id}}, token=operator_token)
        assert body["data"][mutation]["userErrors"] == [
            {"field": ["memberId"], "code": "NOT_PENDING"}
        ]
    body = await gql(
        "mutation($i: MemberInput!) { reactivateMember(input: $i) { userErrors { code } } }",
        {"i": {"memberId": pending.id}},
        token=operator_token,
    )
    assert body["data"]["reactivateMember"]["userErrors"] == [
        {"code": "MEMBERSHIP_PENDING_APPROVAL"}
    ]
    assert (await Member.get(id=pending.id)).status is MemberStatus.PENDING


async def test_request_through_sso_commits_the_request_and_refuses_the_session(
    make_org, provider, sign_in_with_sso
):
    acme, _ = await _acme(make_org, DomainEnrollment.REQUEST)
    conn = await oidc_connection(acme, provider)

    outcome = await sign_in_with_sso(conn, "sso@acme.com", "okta-sso")

    assert outcome.status == 403
    assert outcome.body["error"] == "membership_pending_approval"
    member = await Member.get(organization_id=acme.id, user__email="sso@acme.com")
    assert member.status is MemberStatus.PENDING
    assert await Session.filter(member_id=member.id).count() == 0
    failed = await Event.get(type="authentication.sso_failed")
    assert failed.data["reason"] == "membership_pending_approval"


async def test_request_on_the_hosted_code_page_says_it_waits(make_org, code_on_page):
    acme, _ = await _acme(make_org, DomainEnrollment.REQUEST)

    r = await code_on_page("asker@acme.com")

    assert r.status_code == 400
    assert r.json()["error"] == "membership_pending_approval"
    member = await Member.get(organization_id=acme.id, user__email="asker@acme.com")
    assert member.status is MemberStatus.PENDING


async def test_a_pending_organization_is_left_out_when_the_person_has_another(
    make_org, sign_in_with_code
):
    # Dana works at Globex already; acme.com asks Acme's admins. Without naming an
    # organization she signs into Globex, and Acme's request is made.
    acme, _ = await _acme(make_org, DomainEnrollment.REQUEST)
    globex = await make_org("Globex")
    await members.create_member(operator_principal(), globex.id, "dana@acme.com")

    payload = await sign_in_with_code("dana@acme.com")

    assert payload["userErrors"] == []
    assert (
        payload["authentication"]["member"]["id"]
        == (await Member.get(organization_id=globex.id)).id
    )
    assert (await Member.get(organization_id=acme.id, user__email="dana@acme.com")).status is (
        MemberStatus.PENDING
    )
    named = await sign_in_with_code("dana@acme.com", acme.id)
    assert named["userErrors"][0]["code"] == "MEMBERSHIP_PENDING_APPROVAL"


async def test_resolve_sign_in_answers_with_the_enrollment_that_applies(
    make_org, gql, operator_token
):
    acme, domain = await _acme(make_org, DomainEnrollment.NONE)
    expected = {
        "NONE": "INVITATION_REQUIRED",
        "AUTOMATIC": "JOIN_BY_DOMAIN",
        "REQUEST": "REQUEST_TO_JOIN",
    }
    for enrollment, method in expected.items():
        body = await gql(
            ENROLL,
            {"i": {"domainId": domain.id, "enrollment": enrollment}},
            token=operator_token,
        )
        assert body["data"]["setDomainEnrollment"] == {
            "domain": {"id": domain.id, "enrollment": enrollment},
            "userErrors": [],
        }
        route = await gql(ROUTE, {"e": "someone@acme.com"}, token=operator_token)
        assert route["data"]["resolveSignIn"] == {
            "method": method,
            "enrollment": enrollment,
            "organization": {"id": acme.id},
        }
    changes = await Event.filter(type="organization_domain.updated").order_by("id")
    assert [e.data["enrollment"] for e in changes] == ["AUTOMATIC", "REQUEST"]  # NONE: no change


async def test_only_a_verified_domain_takes_an_enrollment_mode(make_org, gql, operator_token):
    acme = await make_org("Acme")
    body = await gql(
        "mutation($i: AddDomainInput!) { addDomain(input: $i) { domain { id enrollment } } }",
        {"i": {"organizationId": acme.id, "domain": "acme.com"}},
        token=operator_token,
    )
    domain = body["data"]["addDomain"]["domain"]
    assert domain["enrollment"] == "NONE"

    body = await gql(
        ENROLL, {"i": {"domainId": domain["id"], "enrollment": "AUTOMATIC"}}, token=operator_token
    )

    assert body["data"]["setDomainEnrollment"] == {
        "domain": None,
        "userErrors": [{"field": ["domainId"], "code": "DOMAIN_NOT_VERIFIED"}],
    }


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="row locks need PostgreSQL (SQLite serialises)"
)
async def test_concurrent_first_sign_ins_of_one_new_person_make_one_user_and_one_member(
    make_org, provider, settings, smtp, gql, operator_token
):
    # The same new person signs in by emailed code and through SSO at the same moment, five
    # times over (a new person each round): each pair makes one user and one membership, and
    # both sign-ins succeed.
    acme, _ = await _acme(make_org, DomainEnrollment.AUTOMATIC)
    conn = await oidc_connection(acme, provider)
    op_key = operator_principal()
    for n in range(5):
        email = f"twin{n}@acme.com"
        sent = await gql(
            "mutation($i: SendSignInCodeInput!) { sendSignInCode(input: $i) { userErrors { code } } }",
            {"i": {"email": email}},
            token=operator_token,
        )
        assert sent["data"]["sendSignInCode"]["userErrors"] == []
        code = code_in(smtp.inbox.messages[-1])
        profile = SsoProfile(subject=f"okta-twin{n}", email=email, email_verified=True)
        by_code, by_sso = await asyncio.gather(
            authenticate_with_code(op_key, email, code, acme.id, settings),
            complete_sign_in(conn.id, profile),
            return_exceptions=True,
        )
        assert not isinstance(by_code, BaseException), by_code
        assert not isinstance(by_sso, BaseException), by_sso
        assert await User.filter(email=email).count() == 1
        assert await Member.filter(organization_id=acme.id, user__email=email).count() == 1
        assert by_code.member.id == by_sso[0].id

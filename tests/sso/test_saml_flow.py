"""SAML sign-in end to end: SP- and IdP-initiated, JIT then reuse, code → token → GraphQL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from gatehouse.models import (
    ConnectionState,
    Event,
    LinkedIdentity,
    Member,
    MemberSource,
    MemberStatus,
    User,
)
from tests.sso.helpers import (
    REDIRECT,
    assertion_for,
    counts,
    outcome_deltas,
    post_acs,
    saml_connection,
    sso_outcomes,
    start_saml,
    verified_domain,
)
from tests.sso.saml_idp import make_keypair, signed


async def _jit_org(make_org):
    org = await make_org("Acme")
    org.jit_provisioning = True
    await org.save()
    await verified_domain(org)
    return org


def _code(response) -> tuple[str, str | None]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    q = parse_qs(urlsplit(location).query)
    return q["code"][0], q.get("state", [None])[0]


async def test_sp_initiated_sign_in_creates_then_reuses(
    client, make_org, idp_keys, operator_token, gql
):
    # given an organization with JIT on, a verified domain and an active SAML connection
    org = await _jit_org(make_org)
    conn = await saml_connection(org, [idp_keys])

    # when alice signs in for the first time (authorize → IdP → ACS)
    request_id = await start_saml(client, conn, state="client-state")
    xml = signed(assertion_for(conn, in_response_to=request_id), idp_keys)
    code, state = _code(await post_acs(client, conn, xml))

    # then she is redirected with a code and the client's state; the code buys a session
    assert state == "client-state"
    r = await client.post(
        "/sso/token", data={"code": code}, headers={"Authorization": f"Bearer {operator_token}"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["email"] == "alice@acme.com"
    assert body["profile"]["first_name"] == "Alice"
    assert body["member"]["source"] == "JIT"
    member = await Member.get(id=body["member"]["id"])
    assert member.source is MemberSource.JIT
    assert member.status is MemberStatus.ACTIVE
    assert (
        await Event.filter(type="organization_membership.created", organization_id=org.id).count()
        == 1
    )
    assert await Event.filter(type="authentication.sso_succeeded").count() == 1
    viewer = await gql("{ viewer { kind organizationId } }", token=body["session"]["token"])
    assert viewer["data"]["viewer"] == {"kind": "SESSION", "organizationId": org.id}
    # the same answer as every way in: organization, tokens and the method
    assert body["authentication_method"] == "SSO"
    assert body["organization"] == {"id": org.id, "name": "Acme"}
    assert body["session"]["token"] == body["access_token"]
    refreshed = await gql(
        """mutation($i: RefreshSessionInput!) { refreshSession(input: $i) {
             authentication { authenticationMethod organization { id } } userErrors { code } } }""",
        {"i": {"refreshToken": body["refresh_token"]}},
        token=operator_token,
    )
    assert refreshed["data"]["refreshSession"]["authentication"] == {
        "authenticationMethod": "SSO",
        "organization": {"id": org.id},
    }

    # and the code is single use
    again = await client.post(
        "/sso/token", data={"code": code}, headers={"Authorization": f"Bearer {operator_token}"}
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"

    # when she signs in a second time, the same user and member are reused
    request_id = await start_saml(client, conn)
    xml = signed(assertion_for(conn, in_response_to=request_id), idp_keys)
    _code(await post_acs(client, conn, xml))
    assert await User.all().count() == 1
    assert await Member.all().count() == 1
    assert await LinkedIdentity.all().count() == 1
    assert await Event.filter(type="organization_membership.created").count() == 1
    assert await Event.filter(type="authentication.sso_succeeded").count() == 2


async def test_idp_initiated_sign_in_where_allowed(client, make_org, idp_keys):
    # given a connection that allows IdP-initiated sign-in
    org = await _jit_org(make_org)
    conn = await saml_connection(org, [idp_keys], allow_idp_initiated=True)

    # when the IdP posts an unsolicited response (no InResponseTo)
    r = await post_acs(client, conn, signed(assertion_for(conn), idp_keys))

    # then it lands on the operator's default redirect URI with a code
    code, state = _code(r)
    assert code.startswith("ssoc_")
    assert state is None
    assert await Member.filter(organization_id=org.id, source=MemberSource.JIT).count() == 1


async def test_without_jit_an_invitation_is_required(client, make_org, idp_keys):
    # given JIT off
    org = await make_org("Acme")
    await verified_domain(org)
    conn = await saml_connection(org, [idp_keys])
    before = await counts()

    # when a new person signs in
    request_id = await start_saml(client, conn)
    r = await post_acs(
        client, conn, signed(assertion_for(conn, in_response_to=request_id), idp_keys)
    )

    # then refused: nothing created
    assert r.status_code == 403
    assert r.json()["error"] == "invitation_required"
    after = await counts()
    assert after["users"] == before["users"]
    assert after["members"] == before["members"]


async def test_existing_member_links_by_verified_domain_email(client, make_org, idp_keys):
    # given bob is already a (manual) member with an email at the verified domain
    from gatehouse.auth.principal import operator_principal
    from gatehouse.resolvers.members import create_member

    org = await make_org("Acme")
    await verified_domain(org)
    member = await create_member(operator_principal(), org.id, "bob@acme.com")
    conn = await saml_connection(org, [idp_keys])

    # when bob signs in via SSO (JIT off does not matter: he is a member)
    request_id = await start_saml(client, conn)
    a = assertion_for(
        conn,
        in_response_to=request_id,
        name_id="bob@acme.com",
        attributes={"email": "bob@acme.com", "firstName": "Bob"},
    )
    r = await post_acs(client, conn, signed(a, idp_keys))

    # then the identity is linked to his existing account and his name updated
    assert r.status_code == 302, r.text
    link = await LinkedIdentity.get(connection_id=conn.id)
    assert link.user_id == member.user_id
    assert (await User.get(id=member.user_id)).first_name == "Bob"


async def test_inactive_member_is_refused(client, make_org, idp_keys):
    from gatehouse.auth.principal import operator_principal
    from gatehouse.resolvers.members import create_member

    org = await make_org("Acme")
    await verified_domain(org)
    member = await create_member(operator_principal(), org.id, "alice@acme.com")
    member.status = MemberStatus.INACTIVE
    await member.save()
    conn = await saml_connection(org, [idp_keys])
    before = await counts()

    request_id = await start_saml(client, conn)
    r = await post_acs(
        client, conn, signed(assertion_for(conn, in_response_to=request_id), idp_keys)
    )

    assert r.status_code == 403
    assert r.json()["error"] == "member_inactive"
    after = await counts()
    assert after["failed"] == before["failed"] + 1
    assert after["identities"] == before["identities"]
    assert after["codes"] == before["codes"]


async def test_certificate_rotation_accepts_either_certificate(client, make_org, idp_keys):
    # given two certificates configured (old and new)
    org = await _jit_org(make_org)
    new_keys = make_keypair("Test IdP 2027")
    conn = await saml_connection(org, [idp_keys, new_keys])

    # when responses arrive signed by each
    for keys in (idp_keys, new_keys):
        request_id = await start_saml(client, conn)
        r = await post_acs(
            client, conn, signed(assertion_for(conn, in_response_to=request_id), keys)
        )
        # then both are accepted
        assert r.status_code == 302, r.text


async def test_test_sign_in_activates_a_validating_connection(client, make_org, idp_keys):
    # given an organization admin asked to activate: the connection waits in VALIDATING
    from gatehouse.auth.permissions import ORGANIZATION_PERMISSIONS
    from gatehouse.auth.principal import Principal, PrincipalKind
    from gatehouse.resolvers.sso import connections

    org = await _jit_org(make_org)
    conn = await saml_connection(org, [idp_keys], activate=False)
    admin = Principal(
        kind=PrincipalKind.ORGANIZATION_KEY,
        organization_id=org.id,
        permissions=ORGANIZATION_PERMISSIONS,
        api_key_id="key_x",
    )
    conn = await connections.activate_connection(admin, conn.id)
    assert conn.state is ConnectionState.VALIDATING
    assert await Event.filter(type="connection.activated").count() == 0

    # when a test sign-in succeeds
    request_id = await start_saml(client, conn)
    r = await post_acs(
        client, conn, signed(assertion_for(conn, in_response_to=request_id), idp_keys)
    )

    # then the connection is ACTIVE and the event says so
    assert r.status_code == 302, r.text
    await conn.refresh_from_db()
    assert conn.state is ConnectionState.ACTIVE
    event = await Event.get(type="connection.activated")
    assert event.data["actor"] == {"kind": "TEST_SIGN_IN"}


async def test_sp_metadata_uses_configured_base_url(client, make_org, idp_keys):
    org = await make_org("Acme")
    conn = await saml_connection(org, [idp_keys], activate=False)
    r = await client.get(f"/sso/saml/{conn.id}/metadata", headers={"Host": "evil.example"})
    assert r.status_code == 200
    assert f'entityID="https://gatehouse.test/sso/saml/{conn.id}"' in r.text
    assert f"https://gatehouse.test/sso/saml/{conn.id}/acs" in r.text
    assert "evil.example" not in r.text


async def test_email_change_follows_subject_only_within_verified_domains(
    client, make_org, idp_keys
):
    # given alice signed in once (linked by NameID)
    org = await _jit_org(make_org)
    await verified_domain(await make_org("Other"), "other.com")
    conn = await saml_connection(org, [idp_keys])
    request_id = await start_saml(client, conn)
    await post_acs(client, conn, signed(assertion_for(conn, in_response_to=request_id), idp_keys))
    alice = await User.get(email="alice@acme.com")

    # when the IdP now says her email is at another organization's domain: not applied
    def again(email: str):
        return assertion_for(
            conn, in_response_to=request_id, attributes={"email": email, "firstName": "Alice"}
        )

    request_id = await start_saml(client, conn)
    assert (
        await post_acs(client, conn, signed(again("alice@other.com"), idp_keys))
    ).status_code == 302
    assert (await User.get(id=alice.id)).email == "alice@acme.com"

    # when it is at the organization's own domain: applied, still one account
    request_id = await start_saml(client, conn)
    assert (
        await post_acs(client, conn, signed(again("alice.a@acme.com"), idp_keys))
    ).status_code == 302
    assert (await User.get(id=alice.id)).email == "alice.a@acme.com"
    assert await User.all().count() == 1


async def test_signed_response_and_signed_assertion_accepted(client, make_org, idp_keys):
    org = await _jit_org(make_org)
    conn = await saml_connection(org, [idp_keys])
    request_id = await start_saml(client, conn)
    xml = signed(assertion_for(conn, in_response_to=request_id), idp_keys, sign_response=True)
    assert (await post_acs(client, conn, xml)).status_code == 302


async def test_concurrent_first_sign_ins_create_one_account(client, make_org, idp_keys):
    import asyncio

    # given two IdP-initiated responses for the same new person, arriving together
    org = await _jit_org(make_org)
    conn = await saml_connection(org, [idp_keys], allow_idp_initiated=True)
    xmls = [signed(assertion_for(conn), idp_keys) for _ in range(2)]
    results = await asyncio.gather(*(post_acs(client, conn, x) for x in xmls))
    # then both succeed and exactly one user, member and identity exist
    assert [r.status_code for r in results] == [302, 302]
    assert await User.all().count() == 1
    assert await Member.all().count() == 1
    assert await LinkedIdentity.all().count() == 1


async def test_each_finished_saml_sign_in_is_counted_once_by_outcome(client, make_org, idp_keys):
    # given an active SAML connection
    org = await _jit_org(make_org)
    conn = await saml_connection(org, [idp_keys])
    before = sso_outcomes()

    # when one sign-in succeeds, its response is replayed, and a post carries no response
    request_id = await start_saml(client, conn)
    xml = signed(assertion_for(conn, in_response_to=request_id), idp_keys)
    _code(await post_acs(client, conn, xml))
    assert (await post_acs(client, conn, xml)).status_code == 400
    assert (await client.post(f"/sso/saml/{conn.id}/acs", data={})).status_code == 400

    # then one success and two failures are counted for SAML (authorize counts nothing)
    assert outcome_deltas(before, sso_outcomes()) == {
        ("saml", "succeeded"): 1,
        ("saml", "failed"): 2,
    }

"""OIDC code + PKCE end to end against a real provider on loopback, and SECURITY 14-19b."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.exceptions import InvalidTag

from gatehouse.auth import crypto
from gatehouse.models import Connection, ConnectionState, Event, LinkedIdentity, Member, User
from tests.sso.helpers import (
    CREATE_OIDC,
    REDIRECT,
    assert_refused,
    counts,
    oidc_connection,
    outcome_deltas,
    sso_outcomes,
    verified_domain,
)
from tests.sso.oidc_provider import hmac_key, other_key


@pytest.fixture
async def oidc_conn(gql, operator_token, make_org, provider):
    org = await make_org("Acme")
    org.jit_provisioning = True
    await org.save()
    await verified_domain(org)
    return await oidc_connection(gql, operator_token, org, provider)


async def _authorize(client, conn) -> str:
    r = await client.get(
        "/sso/authorize", params={"connection": conn.id, "redirect_uri": REDIRECT, "state": "cs"}
    )
    assert r.status_code == 302, r.text
    return r.headers["location"]


async def _through_provider(client, conn) -> str:
    """The browser: authorize → the provider (real HTTP) → the callback URL it sends back."""
    location = await _authorize(client, conn)
    async with httpx.AsyncClient() as browser:
        r = await browser.get(location)
    assert r.status_code == 302, r.text
    return r.headers["location"]


async def _callback(client, url: str) -> httpx.Response:
    parts = urlsplit(url)
    return await client.get(f"{parts.path}?{parts.query}")


async def test_code_pkce_sign_in_end_to_end(client, oidc_conn, provider, operator_token, gql):
    # given the authorization request carries PKCE S256 and a nonce
    location = await _authorize(client, oidc_conn)
    q = parse_qs(urlsplit(location).query)
    assert q["code_challenge_method"] == ["S256"]
    assert q["nonce"]
    assert q["state"][0] != "cs"

    # when the provider answers and the callback runs
    async with httpx.AsyncClient() as browser:
        callback = (await browser.get(location)).headers["location"]
    r = await _callback(client, callback)

    # then the user is JIT-created and the operator gets a code for the session
    assert r.status_code == 302, r.text
    q = parse_qs(urlsplit(r.headers["location"]).query)
    assert q["state"] == ["cs"]
    token = await client.post(
        "/sso/token",
        data={"code": q["code"][0]},
        headers={"Authorization": f"Bearer {operator_token}"},
    )
    body = token.json()
    assert body["user"]["email"] == "olivia@acme.com"
    assert body["profile"]["subject"] == "okta-00u1"
    assert body["member"]["source"] == "JIT"
    viewer = await gql("{ viewer { kind } }", token=body["session"]["token"])
    assert viewer["data"]["viewer"]["kind"] == "SESSION"

    # when she signs in again, the linked identity finds the same user
    r = await _callback(client, await _through_provider(client, oidc_conn))
    assert r.status_code == 302
    assert await User.all().count() == 1
    assert await Member.all().count() == 1
    assert await LinkedIdentity.all().count() == 1
    assert await Event.filter(type="authentication.sso_succeeded").count() == 2


async def test_client_secret_encrypted_at_rest(oidc_conn, provider, settings, gql, operator_token):
    stored = oidc_conn.oidc_client_secret_encrypted
    assert provider.client_secret not in stored
    assert crypto.decrypt(settings.secret_key, stored, oidc_conn.id) == provider.client_secret
    # bound to its row: the same ciphertext does not decrypt for another connection
    with pytest.raises(InvalidTag):
        crypto.decrypt(settings.secret_key, stored, "conn_other")
    body = await gql(
        "query($id: ID!) { node(id: $id) { ... on Connection { oidc { issuer clientId } } } }",
        {"id": oidc_conn.id},
        token=operator_token,
    )
    assert provider.client_secret not in str(body)
    assert all(provider.client_secret not in str(e.data) for e in await Event.all())


async def _refused(client, url: str, reason: str) -> None:
    before = await counts()
    r = await _callback(client, url)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"] == reason, r.text
    await assert_refused(before, reason)


# 14. state missing, unknown, or used twice.
async def test_state_missing_or_unknown_refused(client, oidc_conn, provider):
    url = await _through_provider(client, oidc_conn)
    parts = urlsplit(url)
    q = parse_qs(parts.query)
    await _refused(client, f"{parts.path}?code={q['code'][0]}", "missing_state")
    await _refused(client, f"{parts.path}?code={q['code'][0]}&state=forged", "unknown_request")


async def test_state_is_single_use(client, oidc_conn, provider):
    url = await _through_provider(client, oidc_conn)
    assert (await _callback(client, url)).status_code == 302
    await _refused(client, url, "request_reused")


# 15. A code redeemed twice is refused by the provider, and reported.
async def test_code_redeemed_twice_refused(client, oidc_conn, provider):
    url = await _through_provider(client, oidc_conn)
    assert (await _callback(client, url)).status_code == 302
    # a fresh state, the old code
    fresh = await _through_provider(client, oidc_conn)
    old_code = parse_qs(urlsplit(url).query)["code"][0]
    parts = urlsplit(fresh)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    await _refused(
        client,
        f"{parts.path}?code={old_code}&state={q['state']}&iss={q['iss']}",
        "token_exchange_failed",
    )


# 16-17. nonce, iss, aud, azp, exp, iat.
@pytest.mark.parametrize(
    "overrides",
    [
        {"nonce": "not-the-nonce"},
        {"iss": "https://evil.example"},
        {"aud": "another-client"},
        {"aud": ["gatehouse-client", "another-client"]},
        {"aud": ["gatehouse-client", "another-client"], "azp": "another-client"},
        {"exp": 1_000_000_000},
        {"iat": 4_000_000_000},
    ],
    ids=["nonce", "iss", "aud", "aud_without_azp", "azp", "exp", "iat_future"],
)
async def test_id_token_claims_refused(client, oidc_conn, provider, overrides):
    provider.id_token_overrides = overrides
    await _refused(client, await _through_provider(client, oidc_conn), "invalid_id_token")


@pytest.mark.parametrize("id_token", [None, "", 42, ["a.b.c"], {"jwt": "a.b.c"}])
async def test_a_missing_or_malformed_id_token_is_refused(client, oidc_conn, provider, id_token):
    provider.token_response_overrides = {"id_token": id_token}
    await _refused(client, await _through_provider(client, oidc_conn), "invalid_id_token")


async def test_missing_nonce_refused(client, oidc_conn, provider):
    provider.id_token_overrides = {"nonce": None}
    provider.user["nonce"] = None
    await _refused(client, await _through_provider(client, oidc_conn), "invalid_id_token")


# 18. alg none, HS256, a kid not in the JWKS (after one refetch).
@pytest.mark.parametrize("key", ["none", "hmac", "hs256_public_key", "unknown"])
async def test_bad_signatures_refused(client, oidc_conn, provider, key):
    if key == "none":
        provider.sign_with = "none"
    elif key == "hmac":
        provider.sign_with, provider.sign_alg = hmac_key(), "HS256"
    elif key == "hs256_public_key":
        provider.sign_with = "hs256-public"
    else:
        provider.sign_with = other_key("k-rogue")
    await _refused(client, await _through_provider(client, oidc_conn), "invalid_id_token")


async def test_rotated_key_is_fetched_on_unknown_kid(client, oidc_conn, provider):
    # given the JWKS was cached with k1
    assert (await _callback(client, await _through_provider(client, oidc_conn))).status_code == 302
    # when the provider rotates to k2 and signs with it
    provider.keys.append(other_key("k2"))
    r = await _callback(client, await _through_provider(client, oidc_conn))
    # then Gatehouse refetches the JWKS once and accepts
    assert r.status_code == 302, r.text


async def test_same_kid_other_key_refused(client, oidc_conn, provider):
    provider.sign_with = other_key("k1")
    await _refused(client, await _through_provider(client, oidc_conn), "invalid_id_token")


# 19. Unverified email never links; identities key on sub, not email (nOAuth).
async def test_unverified_email_never_links_to_existing_account(client, oidc_conn, provider):
    victim = await User.create(email="victim@acme.com", email_verified=True)
    provider.user.update(sub="attacker-1", email="victim@acme.com", email_verified=False)
    await _refused(client, await _through_provider(client, oidc_conn), "email_not_linkable")
    assert not await LinkedIdentity.filter(user_id=victim.id).exists()


async def test_identity_follows_sub_not_email(client, oidc_conn, provider):
    # given olivia signed in once
    assert (await _callback(client, await _through_provider(client, oidc_conn))).status_code == 302
    olivia = await User.get(email="olivia@acme.com")
    # when another IdP user (other sub) claims olivia's email unverified
    provider.user.update(sub="someone-else", email_verified=False)
    await _refused(client, await _through_provider(client, oidc_conn), "email_not_linkable")
    # and when olivia's email changes at the IdP, the same account follows her sub
    provider.user.update(sub="okta-00u1", email="olivia.o@acme.com", email_verified=True)
    assert (await _callback(client, await _through_provider(client, oidc_conn))).status_code == 302
    assert await User.all().count() == 1
    assert (await User.get(id=olivia.id)).email == "olivia.o@acme.com"


# 19a. RFC 9207 iss parameter.
async def test_authorization_response_iss_mismatch_refused(client, oidc_conn, provider):
    provider.iss_param = "https://evil.example"
    await _refused(client, await _through_provider(client, oidc_conn), "issuer_mismatch")


async def test_authorization_response_without_promised_iss_refused(client, oidc_conn, provider):
    url = await _through_provider(client, oidc_conn)
    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    await _refused(client, f"{parts.path}?code={q['code']}&state={q['state']}", "issuer_mismatch")


async def test_discovery_for_another_issuer_refused(gql, operator_token, make_org, provider):
    org = await make_org("Acme")
    body = await gql(
        CREATE_OIDC,
        {
            "i": {
                "organizationId": org.id,
                "name": "x",
                "issuer": provider.issuer + "/",
                "clientId": "c",
                "clientSecret": "s",
            }
        },
        token=operator_token,
    )
    errors = body["data"]["createOidcConnection"]["userErrors"]
    assert [e["code"] for e in errors] == ["DISCOVERY_FAILED"]
    assert await Connection.all().count() == 0


async def test_validating_connection_accepts_test_sign_in(client, oidc_conn, provider):
    oidc_conn.state = ConnectionState.VALIDATING
    await oidc_conn.save()
    assert (await _callback(client, await _through_provider(client, oidc_conn))).status_code == 302
    await oidc_conn.refresh_from_db()
    assert oidc_conn.state is ConnectionState.ACTIVE


async def test_userinfo_fills_missing_claims(client, oidc_conn, provider):
    # given an ID token with no email (providers that keep the token minimal)
    provider.id_token_overrides = {"email": None, "email_verified": None}
    # when the callback runs, the userinfo endpoint supplies them
    r = await _callback(client, await _through_provider(client, oidc_conn))
    assert r.status_code == 302, r.text
    assert await User.filter(email="olivia@acme.com").exists()


@pytest.mark.parametrize("where", ["id_token", "userinfo"])
async def test_a_nul_in_the_claims_is_refused_and_stores_nothing(
    client, oidc_conn, provider, where
):
    # PostgreSQL refuses a NUL in text and in jsonb: stored, it failed the callback (500).
    provider.user["given_name"] = "Oli\x00via"
    if where == "userinfo":  # the ID token is clean; userinfo fills the email and the NUL
        provider.id_token_overrides = {"email": None, "email_verified": None, "given_name": "O"}
    await _refused(client, await _through_provider(client, oidc_conn), "invalid_claims")
    assert not await User.filter(email="olivia@acme.com").exists()


@pytest.mark.parametrize(
    "claims",
    [{"sub": "s" * 600}, {"email": "o" * 330 + "@acme.com"}],
    ids=["subject", "email"],
)
async def test_a_subject_or_email_longer_than_kept_is_refused(client, oidc_conn, provider, claims):
    # once a 500: Tortoise's length check on linked_identities.subject / users.email
    provider.user.update(claims)
    await _refused(client, await _through_provider(client, oidc_conn), "profile_too_long")


async def test_entra_identity_keys_on_tenant_and_object_id(client, oidc_conn, provider):
    provider.user.update(tid="tenant-1", oid="object-1", sub="pairwise-1")
    assert (await _callback(client, await _through_provider(client, oidc_conn))).status_code == 302
    link = await LinkedIdentity.get()
    assert link.subject == "tenant-1:object-1"


async def test_session_dies_with_the_membership(client, oidc_conn, provider, operator_token, gql):
    from gatehouse.auth.principal import operator_principal
    from gatehouse.models import MemberStatus
    from gatehouse.resolvers.members import create_member, set_member_status

    r = await _callback(client, await _through_provider(client, oidc_conn))
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    body = (
        await client.post(
            "/sso/token", data={"code": code}, headers={"Authorization": f"Bearer {operator_token}"}
        )
    ).json()
    token = body["session"]["token"]
    assert (await gql("{ viewer { kind } }", token=token))["data"]["viewer"]["kind"] == "SESSION"
    # an admin remains so the member may be deactivated
    await create_member(operator_principal(), oidc_conn.organization_id, "admin@acme.com", "admin")
    await set_member_status(operator_principal(), body["member"]["id"], MemberStatus.INACTIVE)
    denied = await gql("{ viewer { kind } }", token=token)
    assert denied["data"] is None
    assert denied["errors"]


async def test_each_finished_oidc_sign_in_is_counted_once_by_outcome(client, oidc_conn, provider):
    before = sso_outcomes()
    # when one sign-in succeeds, its callback is replayed, and an unknown connection is called
    url = await _through_provider(client, oidc_conn)
    assert (await _callback(client, url)).status_code == 302
    await _refused(client, url, "request_reused")
    unknown = await client.get("/sso/oidc/conn_unknown/callback", params={"state": "x"})
    assert unknown.json()["error"] == "unknown_connection"
    # then one success and two failures are counted for OIDC
    assert outcome_deltas(before, sso_outcomes()) == {
        ("oidc", "succeeded"): 1,
        ("oidc", "failed"): 2,
    }

"""A new address from the directory or the IdP reaches the person, never a second account,
and never silently another person's account."""

from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, User
from gatehouse.resolvers import members
from tests.identity.conftest import member_of, oidc_connection, scim_user, verified_domain

PENDING = """query($id: ID!) { user(id: $id) { email pendingEmail } }"""


async def _renamed(scim, diru_id: str, email: str):
    r = await scim.patch(
        f"/Users/{diru_id}",
        {"op": "replace", "path": "userName", "value": email},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": email},
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_directory_email_change_then_sso_with_the_new_address_is_the_same_person(
    company, make_directory, provider, sign_in_with_sso
):
    # given Ann, provisioned by Acme's directory, and Acme's SSO (JIT on)
    acme = await company("Acme", "acme.com")
    await verified_domain(acme, "acme.eu")
    acme.jit_provisioning = True
    await acme.save()
    scim = await make_directory(acme)
    pushed = await scim.create_user("ann@acme.com", **scim_user("ann@acme.com"))
    ann = await member_of(acme, "ann@acme.com")
    assert ann is not None

    # when the IdP renames her to ann@acme.eu
    await _renamed(scim, pushed["id"], "ann@acme.eu")

    # then her user follows, with the event
    user = await User.get(id=ann.user_id)
    assert user.email == "ann@acme.eu"
    updated = await Event.get(type="user.updated")
    assert updated.data["previous_email"] == "ann@acme.com"
    assert updated.data["email"] == "ann@acme.eu"

    # and her first SSO sign-in with the new address reaches the same user
    conn = await oidc_connection(acme, provider)
    outcome = await sign_in_with_sso(conn, "ann@acme.eu", "okta-ann")
    assert outcome.issued, outcome
    assert outcome.body["user"]["id"] == user.id
    assert await User.filter(email__in=["ann@acme.com", "ann@acme.eu"]).count() == 1


async def test_a_directory_email_change_to_another_persons_address_is_held_not_merged(
    company, make_directory, gql, operator_token
):
    acme = await company("Acme", "acme.com")
    scim = await make_directory(acme)
    pushed = await scim.create_user("ann@acme.com", **scim_user("ann@acme.com"))
    ann = await member_of(acme, "ann@acme.com")
    other = await members.create_member(operator_principal(), acme.id, "annie@acme.com")

    await _renamed(scim, pushed["id"], "annie@acme.com")

    # the two stay two, each with their address; the change waits for the operator
    assert (await User.get(id=ann.user_id)).email == "ann@acme.com"
    assert (await User.get(id=other.user_id)).email == "annie@acme.com"
    conflict = await Event.get(type="user.email_conflict")
    assert conflict.organization_id is None  # the operator's to see, not the tenant's
    assert conflict.data["user_id"] == ann.user_id
    assert conflict.data["email"] == "annie@acme.com"
    assert conflict.data["held_by_user_id"] == other.user_id
    assert conflict.data["directory_id"] == scim.directory_id
    body = await gql(PENDING, {"id": ann.user_id}, token=operator_token)
    assert body["data"]["user"] == {"email": "ann@acme.com", "pendingEmail": "annie@acme.com"}
    # a second push of the same change does not repeat the event
    await _renamed(scim, pushed["id"], "annie@acme.com")
    assert await Event.filter(type="user.email_conflict").count() == 1


async def test_a_directory_email_change_to_a_domain_it_does_not_own_stays_with_the_directory(
    company, make_directory
):
    acme = await company("Acme", "acme.com")
    scim = await make_directory(acme)
    pushed = await scim.create_user("ann@acme.com", **scim_user("ann@acme.com"))
    ann = await member_of(acme, "ann@acme.com")

    renamed = await _renamed(scim, pushed["id"], "ann@elsewhere.example")

    assert renamed["userName"] == "ann@elsewhere.example"  # the mirror follows the IdP
    assert (await User.get(id=ann.user_id)).email == "ann@acme.com"  # the person does not
    assert await Event.filter(type__in=["user.updated", "user.email_conflict"]).count() == 0


async def test_an_sso_email_change_to_another_persons_address_is_a_conflict(
    company, provider, sign_in_with_sso
):
    acme = await company("Acme", "acme.com")
    conn = await oidc_connection(acme, provider)
    op = operator_principal()
    ann = await members.create_member(op, acme.id, "ann@acme.com")
    other = await members.create_member(op, acme.id, "annie@acme.com")
    first = await sign_in_with_sso(conn, "ann@acme.com", "okta-ann")
    assert first.issued

    again = await sign_in_with_sso(conn, "annie@acme.com", "okta-ann")

    assert again.issued  # the subject is Ann's: she signs in, as herself
    assert again.body["user"]["id"] == ann.user_id
    assert (await User.get(id=ann.user_id)).email == "ann@acme.com"
    assert (await User.get(id=ann.user_id)).pending_email == "annie@acme.com"
    conflict = await Event.get(type="user.email_conflict")
    assert conflict.data["held_by_user_id"] == other.user_id
    assert conflict.data["connection_id"] == conn.id

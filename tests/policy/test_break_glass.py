"""Break-glass: who may let an admin sign in around SSO, on whom, and the record of it."""

from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, Member
from gatehouse.resolvers import members
from tests.people import signed_in

BYPASS = """mutation($i: SetMemberSsoBypassInput!) { setMemberSsoBypass(input: $i) {
  member { id mayBypassSso } userErrors { field code } } }"""


async def _acme(make_org):
    acme = await make_org("Acme")
    op = operator_principal()
    first = await members.create_member(op, acme.id, "ann@acme.com", "admin")
    second = await members.create_member(op, acme.id, "ben@acme.com", "admin")
    staff = await members.create_member(op, acme.id, "sam@acme.com", "member")
    return acme, first, second, staff


async def _set(gql, token, member_id: str, value: bool = True):
    return await gql(BYPASS, {"i": {"memberId": member_id, "mayBypassSso": value}}, token=token)


async def test_the_operator_sets_it_on_an_admin_and_it_is_recorded(make_org, gql, operator_token):
    _, ann, _, _ = await _acme(make_org)

    body = await _set(gql, operator_token, ann.id)

    assert body["data"]["setMemberSsoBypass"] == {
        "member": {"id": ann.id, "mayBypassSso": True},
        "userErrors": [],
    }
    assert (await Member.get(id=ann.id)).may_bypass_sso
    event = await Event.get(type="organization_membership.sso_bypass_changed")
    assert event.data["id"] == ann.id
    assert event.data["may_bypass_sso"] is True
    assert event.data["actor"]["kind"] == "OPERATOR"

    body = await _set(gql, operator_token, ann.id, value=False)
    assert body["data"]["setMemberSsoBypass"]["member"]["mayBypassSso"] is False
    assert await Event.filter(type="organization_membership.sso_bypass_changed").count() == 2


async def test_another_admin_may_set_it_but_not_the_admin_on_themselves(make_org, gql, settings):
    _, ann, ben, _ = await _acme(make_org)
    ben_token = await signed_in(ben, settings)
    ann_token = await signed_in(ann, settings)

    by_ben = await _set(gql, ben_token, ann.id)
    by_ann = await _set(gql, ann_token, ann.id)

    assert by_ben["data"]["setMemberSsoBypass"]["userErrors"] == []
    event = await Event.get(type="organization_membership.sso_bypass_changed")
    assert event.data["actor"]["member_id"] == ben.id
    assert by_ann["data"] is None
    assert by_ann["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Event.filter(type="organization_membership.sso_bypass_changed").count() == 1


async def test_only_on_admins(make_org, gql, operator_token):
    _, _, _, sam = await _acme(make_org)

    body = await _set(gql, operator_token, sam.id)

    assert body["data"]["setMemberSsoBypass"] == {
        "member": None,
        "userErrors": [{"field": ["memberId"], "code": "SSO_BYPASS_ADMINS_ONLY"}],
    }
    assert not (await Member.get(id=sam.id)).may_bypass_sso
    assert await Event.filter(type="organization_membership.sso_bypass_changed").count() == 0


async def test_an_organization_key_cannot_set_it(make_org, gql, org_key):
    acme, ann, _, _ = await _acme(make_org)

    body = await _set(gql, await org_key(acme), ann.id)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not (await Member.get(id=ann.id)).may_bypass_sso

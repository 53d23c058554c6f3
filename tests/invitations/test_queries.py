"""The invitation list batches its relations: the query count does not grow with the page."""

from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.resolvers import members
from tests.invitations.conftest import INVITE
from tests.people import signed_in

LIST = """query($id: ID!) { organization(id: $id) { invitations(first: 100) { totalCount
  edges { node { id state role { slug } inviter { id user { email } } organization { name }
  acceptedBy { id } } } } } }"""


async def _statements(gql, count_queries, org, token) -> int:
    with count_queries() as counter:
        body = await gql(LIST, {"id": org.id}, token=token)
    assert "errors" not in body, body
    return counter.count


async def test_invitation_list_has_no_n_plus_one(gql, smtp, make_org, count_queries, settings):
    org = await make_org()
    admin = await members.create_member(operator_principal(), org.id, "boss@x.test", "admin")
    session = await signed_in(admin, settings)
    for i in range(3):
        await gql(INVITE, {"i": {"organizationId": org.id, "email": f"a{i}@x.test"}}, token=session)
    small = await _statements(gql, count_queries, org, session)
    for i in range(12):
        await gql(INVITE, {"i": {"organizationId": org.id, "email": f"b{i}@x.test"}}, token=session)
    large = await _statements(gql, count_queries, org, session)
    assert large == small

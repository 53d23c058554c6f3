"""Tenant isolation of the connection mutations and `node`: an organization-scoped key of org A
reads nothing of org B's connections and changes nothing there (SECURITY 24)."""

from __future__ import annotations

import pytest

from gatehouse.auth.permissions import ORGANIZATION_PERMISSIONS
from gatehouse.auth.principal import operator_principal
from gatehouse.models import Connection, Event
from gatehouse.resolvers import api_keys
from tests.sso.helpers import saml_connection
from tests.sso.saml_idp import make_keypair

ROOT_FIELDS = {
    "createSamlConnection": (
        'mutation($id: ID!) { createSamlConnection(input: {organizationId: $id, name: "x"}) '
        "{ userErrors { code } } }",
        "org",
    ),
    "createOidcConnection": (
        "mutation($id: ID!) { createOidcConnection(input: {organizationId: $id, name: "
        '"x", issuer: "https://idp.example", clientId: "c", clientSecret: "s"}) '
        "{ userErrors { code } } }",
        "org",
    ),
    "updateConnection": (
        'mutation($id: ID!) { updateConnection(input: {connectionId: $id, name: "x"}) '
        "{ userErrors { code } } }",
        "conn",
    ),
    "activateConnection": (
        "mutation($id: ID!) { activateConnection(input: {connectionId: $id}) "
        "{ userErrors { code } } }",
        "conn",
    ),
    "deactivateConnection": (
        "mutation($id: ID!) { deactivateConnection(input: {connectionId: $id}) "
        "{ userErrors { code } } }",
        "conn",
    ),
    "refreshConnectionMetadata": (
        "mutation($id: ID!) { refreshConnectionMetadata(input: {connectionId: $id}) "
        "{ userErrors { code } } }",
        "conn",
    ),
    # tests/sso/test_saml_encryption.py and test_certificate_lifecycle.py
    "rotateSamlSpKey": (
        "mutation($id: ID!) { rotateSamlSpKey(input: {connectionId: $id}) "
        "{ userErrors { code } } }",
        "conn",
    ),
    "retireSamlSpKey": (
        "mutation($id: ID!) { retireSamlSpKey(input: {connectionId: $id}) "
        "{ userErrors { code } } }",
        "conn",
    ),
    "addSamlCertificate": (
        "mutation($id: ID!) { addSamlCertificate(input: {connectionId: $id, certificate: "
        f'"{make_keypair("Isolation").cert_b64}"}}) '
        "{ userErrors { code } } }",
        "conn",
    ),
    "removeSamlCertificate": (
        'mutation($id: ID!) { removeSamlCertificate(input: {connectionId: $id, fingerprint: "x"}) '
        "{ userErrors { code } } }",
        "conn",
    ),
    "deleteConnection": (
        "mutation($id: ID!) { deleteConnection(input: {connectionId: $id}) "
        "{ userErrors { code } } }",
        "conn",
    ),
}


@pytest.fixture
async def b_side(make_org, idp_keys):
    a, b = await make_org("Org A"), await make_org("Org B")
    conn = await saml_connection(b, [idp_keys], activate=False)
    _, a_token = await api_keys.create_api_key(
        operator_principal(), "a", a.id, scopes=sorted(ORGANIZATION_PERMISSIONS)
    )
    return {"org": b, "conn": conn, "a_token": a_token}


async def _snapshot():
    return await Connection.all().order_by("id").values(), await Event.all().count()


@pytest.mark.parametrize("name", list(ROOT_FIELDS))
async def test_scoped_key_cannot_touch_another_orgs_connections(gql, b_side, name):
    mutation, target = ROOT_FIELDS[name]
    before = await _snapshot()
    body = await gql(mutation, {"id": b_side[target].id}, token=b_side["a_token"])
    assert body.get("errors") is None, body
    assert body["data"][name]["userErrors"] == [{"code": "NOT_FOUND"}]
    assert await _snapshot() == before


async def test_scoped_key_reads_no_connection_of_another_org(gql, b_side):
    body = await gql(
        "query($id: ID!) { node(id: $id) { id } organization(id: $o) { id } }".replace(
            "$id: ID!)", "$id: ID!, $o: ID!)"
        ),
        {"id": b_side["conn"].id, "o": b_side["org"].id},
        token=b_side["a_token"],
    )
    assert body["data"] == {"node": None, "organization": None}


async def test_expiring_certificates_list_hides_another_orgs(gql, b_side):
    body = await gql(
        "{ connectionsWithExpiringCertificates(withinDays: 3650) { id } }",
        token=b_side["a_token"],
    )
    assert body["data"] == {"connectionsWithExpiringCertificates": []}

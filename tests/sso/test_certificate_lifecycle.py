"""IdP certificate lifecycle: with the clock moved, the SSO upkeep job warns at 90, 30 and 7 days
and on expiry, exactly once per threshold and certificate, for every SAML connection whatever
the source of its certificates; a new certificate is a renewed event; the operator lists what
expires soon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.sso import certificates, connections
from gatehouse.resolvers.sso import sign_in as sso
from gatehouse.resolvers.sso.config import SamlIdp
from gatehouse.resolvers.sso.upkeep import sso_upkeep_round
from tests.sso.helpers import saml_connection
from tests.sso.saml_idp import make_keypair

EXPIRING = "connection.saml_certificate_expiring"
RENEWED = "connection.saml_certificate_renewed"


@pytest.fixture
def clock(monkeypatch):
    """Moves the clock every SSO expiry reads (resolvers/sso/sign_in.py:now)."""
    at = [datetime.now(UTC)]
    monkeypatch.setattr(sso, "now", lambda: at[0])

    def move(days: float) -> None:
        at[0] = datetime.now(UTC) + timedelta(days=days)

    return move


async def _notices(connection_id: str) -> list[int]:
    events = await Event.filter(type=EXPIRING).order_by("id")
    return [e.data["threshold_days"] for e in events if e.data["connection_id"] == connection_id]


async def test_each_threshold_fires_once_as_the_clock_moves(make_org, settings, clock):
    org = await make_org("Acme")
    conn = await saml_connection(org, [make_keypair(days=100)])
    # nothing at 100 days left, however often the job runs
    await sso_upkeep_round(settings)
    assert await _notices(conn.id) == []
    expected: list[int] = []
    for days_later, threshold in ((11, 90), (71, 30), (94, 7), (101, 0)):
        clock(days_later)
        for _ in range(3):  # every run of the job, and again: once per threshold
            await sso_upkeep_round(settings)
        expected.append(threshold)
        assert await _notices(conn.id) == expected, days_later
    events = await Event.filter(type=EXPIRING).order_by("id")
    # each carries the organization and the connection
    assert {e.organization_id for e in events} == {org.id}
    assert all(e.data["connection_id"] == conn.id for e in events)
    assert events[-1].data["expired"] is True
    assert events[0].data["fingerprint"] == certificates.fingerprint(conn.saml_idp_certificates[0])


async def test_a_certificate_already_inside_a_threshold_gets_only_that_one(
    make_org, settings, clock
):
    org = await make_org("Acme")
    conn = await saml_connection(org, [make_keypair(days=20)])
    await sso_upkeep_round(settings)
    # 20 days left when added: the 30-day notice now, never the 90-day one
    assert await _notices(conn.id) == [30]
    clock(14)
    await sso_upkeep_round(settings)
    assert await _notices(conn.id) == [30, 7]


async def test_every_connection_whatever_the_source_and_each_certificate(
    make_org, settings, clock, client
):
    # two certificates on one connection (by hand), one on another organization's
    a = await saml_connection(await make_org("A"), [make_keypair(days=5), make_keypair(days=60)])
    b = await connections.create_saml_connection(
        operator_principal(),
        (await make_org("B")).id,
        "B",
        idp=SamlIdp(
            entity_id="x", sso_url="https://idp.b/sso", certificates=[make_keypair(days=6).cert_b64]
        ),
    )
    await sso_upkeep_round(settings)
    assert sorted(await _notices(a.id)) == [7, 90]
    assert await _notices(b.id) == [7]


async def test_renewal_by_hand_and_by_metadata_refresh_is_an_event(make_org, idp_keys):
    org = await make_org("Acme")
    conn = await saml_connection(org, [idp_keys])
    new = make_keypair("Next")
    # by hand: added beside the old one
    conn = await certificates.add_certificate(
        operator_principal(), conn.id, certificate=new.cert_pem.decode()
    )
    assert len(conn.saml_idp_certificates) == 2
    events = await Event.filter(type=RENEWED)
    assert len(events) == 1
    assert events[0].organization_id == org.id
    assert events[0].data["connection_id"] == conn.id
    assert events[0].data["fingerprint"] == certificates.fingerprint(conn.saml_idp_certificates[1])
    assert events[0].data["source"] == "manual"
    # the same certificate again is no renewal
    await certificates.add_certificate(operator_principal(), conn.id, certificate=new.cert_b64)
    assert await Event.filter(type=RENEWED).count() == 1
    # replacing the list through updateConnection names only the new one
    third = make_keypair("Third")
    await connections.update_connection(
        operator_principal(), conn.id, certificates=[new.cert_b64, third.cert_b64]
    )
    assert await Event.filter(type=RENEWED).count() == 2


async def test_metadata_refresh_that_finds_a_new_certificate_is_a_renewal(make_org, monkeypatch):
    org = await make_org("Acme")
    old, new = make_keypair("Old"), make_keypair("New")
    served = [old]

    async def fetch(url, *, allow_private):
        return SamlIdp(
            entity_id="https://idp.test/metadata",
            sso_url="https://idp.test/sso",
            certificates=[k.cert_b64 for k in served],
        )

    monkeypatch.setattr(connections, "fetch_saml_metadata", fetch)
    conn = await connections.create_saml_connection(
        operator_principal(), org.id, "IdP", metadata_url="https://idp.test/metadata"
    )
    served = [old, new]
    await connections.refresh_saml_metadata(operator_principal(), conn.id)
    events = await Event.filter(type=RENEWED)
    assert [e.data["source"] for e in events] == ["metadata"]
    # an unchanged refresh says nothing
    await connections.refresh_saml_metadata(operator_principal(), conn.id)
    assert await Event.filter(type=RENEWED).count() == 1


EXPIRING_QUERY = """query($d: Int!) { connectionsWithExpiringCertificates(withinDays: $d) {
  id organization { id } saml { idpCertificates { notAfter expired } } } }"""


async def test_operator_lists_connections_expiring_within_n_days(gql, operator_token, make_org):
    soon = await saml_connection(await make_org("Soon"), [make_keypair(days=10)])
    later = await saml_connection(await make_org("Later"), [make_keypair(days=50)])
    await saml_connection(await make_org("Fine"), [make_keypair(days=400)])
    expired = await saml_connection(await make_org("Gone"), [make_keypair(expired=True)])
    body = await gql(EXPIRING_QUERY, {"d": 30}, token=operator_token)
    ids = [c["id"] for c in body["data"]["connectionsWithExpiringCertificates"]]
    assert ids == [expired.id, soon.id]
    body = await gql(EXPIRING_QUERY, {"d": 60}, token=operator_token)
    ids = [c["id"] for c in body["data"]["connectionsWithExpiringCertificates"]]
    assert ids == [expired.id, soon.id, later.id]
    body = await gql(EXPIRING_QUERY, {"d": -1}, token=operator_token)
    assert body["errors"][0]["extensions"]["code"] == "OUT_OF_RANGE"


async def test_an_organization_key_lists_only_its_own(gql, make_org):
    mine = await make_org("Mine")
    own = await saml_connection(mine, [make_keypair(days=10)])
    await saml_connection(await make_org("Other"), [make_keypair(days=10)])
    _, key = await api_keys.create_api_key(operator_principal(), "k", mine.id)
    body = await gql(EXPIRING_QUERY, {"d": 30}, token=key)
    assert [c["id"] for c in body["data"]["connectionsWithExpiringCertificates"]] == [own.id]

"""DNS rebinding: a request goes to the address the guard checked, never to a second
resolution of the name; TLS still checks the certificate for the name (SECURITY 13d, 40)."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from gatehouse import outbound
from gatehouse.events.bus import LocalBus
from gatehouse.events.sequencer import sequence_pending
from gatehouse.events.worker import DeliveryWorker
from gatehouse.models import Delivery
from tests.events.conftest import endpoint_to, event_settings

# The guard refuses every loopback address, and the tests cannot reach the internet; so here
# 127.0.0.2 plays the public address a DNS server gives the check, and 127.0.0.1 the internal
# one it gives whoever resolves the name next.
PUBLIC = "127.0.0.2"
INTERNAL = "127.0.0.1"


@pytest.fixture
def public_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in = ipaddress.ip_address(PUBLIC)
    monkeypatch.setattr(outbound, "forbidden", lambda ip: ip != stand_in)


@pytest.fixture
async def rebinding(dns, https_listeners, trust_test_ca, public_is_allowed):
    """rebind.test answers PUBLIC once, INTERNAL afterwards; both serve its certificate."""
    await https_listeners.start(PUBLIC, INTERNAL)
    dns.answer("rebind.test", [PUBLIC], [INTERNAL])
    return https_listeners


async def test_webhook_delivery_goes_to_the_checked_address(db, dns, rebinding):
    url = f"https://rebind.test:{rebinding.port}/hook"
    await endpoint_to(url)  # saved unchecked; the worker below refuses private targets
    await sequence_pending()
    worker = DeliveryWorker(event_settings(db, GATEHOUSE_ALLOW_PRIVATE_WEBHOOKS=False), LocalBus())
    try:
        assert await worker.run_once()
    finally:
        await worker.client.aclose()

    assert rebinding.at(INTERNAL) == []
    [seen] = rebinding.at(PUBLIC)
    assert (seen.host, seen.sni) == (f"rebind.test:{rebinding.port}", "rebind.test")
    assert seen.request_line == "POST /hook HTTP/1.1"
    assert dns.count("rebind.test") == 1
    delivery = await Delivery.get(succeeded=True)
    assert delivery.response_status == 200


async def test_sso_fetch_goes_to_the_checked_address(dns, rebinding):
    url = f"https://rebind.test:{rebinding.port}/.well-known/openid-configuration"
    status, doc = await outbound.request_json("GET", url, allow_private=False)

    assert (status, doc) == (200, {})
    assert rebinding.at(INTERNAL) == []
    [seen] = rebinding.at(PUBLIC)
    assert (seen.host, seen.sni) == (f"rebind.test:{rebinding.port}", "rebind.test")
    assert dns.count("rebind.test") == 1


@pytest.fixture
async def two_names(dns, https_listeners, trust_test_ca):
    """hooks.test (on the certificate) and wrong.test (not on it) at one address."""
    await https_listeners.start(INTERNAL)
    dns.answer("hooks.test", [INTERNAL])
    dns.answer("wrong.test", [INTERNAL])
    return https_listeners


async def test_the_certificate_is_checked_for_the_name_not_the_address(two_names):
    https_listeners, port = two_names, two_names.port

    status, _ = await outbound.request_json(
        "GET", f"https://hooks.test:{port}/jwks", allow_private=True
    )
    assert status == 200
    [seen] = https_listeners.seen
    assert (seen.sni, seen.host) == ("hooks.test", f"hooks.test:{port}")

    # Same address, a name the certificate does not carry.
    with pytest.raises(outbound.OutboundError) as refused:
        await outbound.request_json("GET", f"https://wrong.test:{port}/jwks", allow_private=True)
    assert isinstance(refused.value.__cause__, httpx.ConnectError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    assert https_listeners.handshakes[-1] == "wrong.test"
    assert len(https_listeners.seen) == 1


async def test_a_connection_checked_for_one_name_never_carries_another(two_names):
    https_listeners, port = two_names, two_names.port
    # One client for many targets, as the delivery worker has.
    async with httpx.AsyncClient(follow_redirects=False) as client:
        first = await outbound.pinned_request(
            client, "POST", f"https://hooks.test:{port}/hook", allow_private=True, content=b"{}"
        )
        assert first.status_code == 200
        with pytest.raises(httpx.ConnectError):
            await outbound.pinned_request(
                client, "POST", f"https://wrong.test:{port}/hook", allow_private=True
            )
    assert [s.host for s in https_listeners.seen] == [f"hooks.test:{port}"]


async def test_an_ipv6_address_is_requested_in_brackets(dns, http_listeners, ipv6_loopback):
    await http_listeners.start("::1")
    dns.answer("six.test", ["::1"])
    async with httpx.AsyncClient() as client:
        response = await outbound.pinned_request(
            client, "GET", f"http://six.test:{http_listeners.port}/x?y=1", allow_private=True
        )
    assert response.status_code == 200
    [seen] = http_listeners.seen
    assert (seen.address, seen.host) == ("::1", f"six.test:{http_listeners.port}")
    assert seen.request_line == "GET /x?y=1 HTTP/1.1"


async def test_the_next_checked_address_is_tried_when_one_refuses(dns, http_listeners):
    await http_listeners.start(INTERNAL)
    # Nothing listens on 127.0.0.3: connecting there is refused at once.
    dns.answer("two.test", ["127.0.0.3", INTERNAL])
    async with httpx.AsyncClient() as client:
        response = await outbound.pinned_request(
            client, "GET", f"http://two.test:{http_listeners.port}/", allow_private=True
        )
    assert response.status_code == 200
    assert [s.address for s in http_listeners.seen] == [INTERNAL]
    assert dns.count("two.test") == 1


async def test_one_forbidden_address_among_public_ones_refuses_before_connecting(
    dns, http_listeners
):
    await http_listeners.start(INTERNAL)
    dns.answer("mixed.test", ["93.184.215.14", INTERNAL])
    async with httpx.AsyncClient() as client:
        with pytest.raises(outbound.UnsafeUrl) as refused:
            await outbound.pinned_request(
                client, "GET", f"https://mixed.test:{http_listeners.port}/", allow_private=False
            )
    assert refused.value.private
    assert http_listeners.seen == []

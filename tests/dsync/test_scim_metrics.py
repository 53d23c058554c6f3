"""SCIM feeds gatehouse_scim_operations_total by resource, method and final status (the
per-directory rate limit's 429s are tested in tests/ops/test_rate_limit.py)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.dsync.conftest import USER_SCHEMA


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _scim_ops(resource: str, method: str, status: int) -> float:
    return _value(
        "gatehouse_scim_operations_total", resource=resource, method=method, status=str(status)
    )


async def test_every_scim_request_is_counted_by_resource_method_and_status(scim):
    cases = [
        ("Users", "POST", 201),
        ("Users", "POST", 409),
        ("Users", "POST", 400),
        ("Users", "GET", 200),
        ("Users", "GET", 401),
        ("Users", "GET", 404),
        ("Groups", "GET", 200),
        ("ServiceProviderConfig", "GET", 200),
        ("ServiceProviderConfig", "DELETE", 405),
        ("Schemas", "GET", 200),
        ("ResourceTypes", "GET", 200),
        ("Bulk", "POST", 404),
        ("other", "GET", 404),
        ("other", "POST", 501),
    ]
    before = {case: _scim_ops(*case) for case in cases}

    user = {"schemas": [USER_SCHEMA], "userName": "ann", "active": True}
    assert (await scim.call("POST", "/Users", user)).status_code == 201
    assert (await scim.call("POST", "/Users", user)).status_code == 409
    bad_json = await scim.call("POST", "/Users", content=b"{")
    assert bad_json.status_code == 400
    assert (await scim.call("GET", "/Users")).status_code == 200
    assert (await scim.call("GET", "/Users", token="wrong")).status_code == 401
    assert (await scim.call("GET", "/Users/nobody")).status_code == 404
    assert (await scim.call("GET", "/Groups")).status_code == 200
    assert (await scim.call("GET", "/ServiceProviderConfig")).status_code == 200
    assert (await scim.call("DELETE", "/ServiceProviderConfig")).status_code == 405
    assert (await scim.call("GET", "/Schemas")).status_code == 200
    assert (await scim.call("GET", "/ResourceTypes")).status_code == 200
    assert (await scim.call("POST", "/Bulk", {"Operations": []})).status_code == 404
    assert (await scim.call("GET", "/made-up/path")).status_code == 404
    assert (await scim.call("POST", "/.search", {})).status_code == 501

    rose = {case: _scim_ops(*case) - before[case] for case in cases}
    assert rose == dict.fromkeys(cases, 1.0)

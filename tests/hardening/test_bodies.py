"""SECURITY 53: a body that cannot be decoded is a 400 with a clear message on every route that
reads one (never a 500), and nothing is logged as an error."""

from __future__ import annotations

import logging

import pytest

from tests.hardening.conftest import BASE, Target

DEEP_JSON = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
# A UTF-16 byte-order mark, then UTF-16 text: JSON's parser would guess the encoding from it.
UTF16_JSON = '{"query": "{ viewer { kind } }"}'.encode("utf-16")
INVALID_UTF8 = b'{"query": "\xff\xfe\xfa"}'
INVALID_UTF8_FORM = b"SAMLResponse=\xff\xfe&code=\xc3\x28&token=\xa0\xa1"
PERCENT_INVALID_FORM = b"SAMLResponse=%ff%fe&code=%c3%28&token=%a0%a1"

JSON = "application/json"
SCIM = "application/scim+json"
FORM = "application/x-www-form-urlencoded"


def json_routes(t: Target) -> list[tuple[str, str, dict[str, str]]]:
    scim = {"Authorization": f"Bearer {t.directory_token}", "Content-Type": SCIM}
    base = f"/scim/v2/{t.directory_id}"
    user = "diru_01J00000000000000000000000"
    return [
        ("POST", "/graphql", {"Authorization": f"Bearer {t.operator_key}", "Content-Type": JSON}),
        ("POST", f"{base}/Users", scim),
        ("POST", f"{base}/Groups", scim),
        ("POST", f"{base}/Users/.search", scim),
        ("PUT", f"{base}/Users/{user}", scim),
        ("PATCH", f"{base}/Users/{user}", scim),
    ]


def form_routes(t: Target) -> list[tuple[str, str, dict[str, str]]]:
    return [
        ("POST", f"/sso/saml/{t.connection_id}/acs", {"Content-Type": FORM}),
        ("POST", "/sso/token", {"Authorization": f"Bearer {t.operator_key}", "Content-Type": FORM}),
        ("POST", "/portal/start", {"Content-Type": FORM, "Origin": BASE}),
        ("POST", "/invitations/inv_unknown", {"Content-Type": FORM, "Accept": JSON}),
    ]


def _message(response) -> str:
    """The message of a GraphQL, SCIM or plain JSON error body."""
    body = response.json()
    if "errors" in body:
        return " ".join(e["message"] for e in body["errors"])
    return str(body.get("detail") or body.get("message"))


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (DEEP_JSON, "deeper than 64"),
        (UTF16_JSON, "UTF-8"),
        (INVALID_UTF8, "UTF-8"),
        (b"5", "object"),
        (b'"a string"', "object"),
    ],
)
async def test_json_routes_answer_400(target, caplog, body, says):
    with caplog.at_level(logging.WARNING):
        for method, path, headers in json_routes(target):
            response = await target.client.request(method, path, content=body, headers=headers)
            assert response.status_code == 400, (path, response.status_code, response.text)
            assert says in _message(response), (path, response.text)
            assert "Traceback" not in response.text
            if path.startswith("/scim/"):
                assert response.json()["scimType"] == "invalidSyntax"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("body", [INVALID_UTF8_FORM, PERCENT_INVALID_FORM, UTF16_JSON])
async def test_form_routes_answer_400(target, caplog, body):
    with caplog.at_level(logging.WARNING):
        for method, path, headers in form_routes(target):
            response = await target.client.request(method, path, content=body, headers=headers)
            assert response.status_code == 400, (path, response.status_code, response.text)
            assert "UTF-8" in _message(response), (path, response.text)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_form_with_more_fields_than_any_binding_sends_is_400(target):
    flood = "&".join(f"f{i}=x" for i in range(50)).encode()
    for method, path, headers in form_routes(target):
        response = await target.client.request(method, path, content=flood, headers=headers)
        assert response.status_code == 400, (path, response.text)
        assert "more than 20 fields" in _message(response), (path, response.text)


async def test_graphql_bodies_of_the_wrong_shape_are_400(target):
    headers = {"Authorization": f"Bearer {target.operator_key}"}
    for body, says in (
        ([1, 2], "Batching"),
        ({"query": 5}, "`query` must be a string"),
        ({"query": "{ viewer { kind } }", "variables": [1]}, "`variables` must be an object"),
        ({"query": "{ viewer { kind } }", "operationName": {}}, "`operationName` must be"),
        ({"query": "{ viewer { kind } }", "extensions": "x"}, "`extensions` must be"),
    ):
        response = await target.client.post("/graphql", json=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert says in response.text, (body, response.text)
    get = await target.client.get(
        "/graphql", params={"query": "{ viewer { kind } }", "variables": "5"}, headers=headers
    )
    assert get.status_code == 400

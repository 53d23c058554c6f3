"""A NUL character (U+0000) anywhere a client puts text is a 400 that changes nothing.

PostgreSQL refuses a NUL in any text value, so a NUL that reached a query failed the request: an
internal error in GraphQL, a 503 "retry" on SCIM. SQLite stored it. Both databases now refuse it
the same way, before any query: in a JSON body, a form, a GraphQL string literal and the URL."""

from __future__ import annotations

import logging
import re

import pytest

from gatehouse.models import DirectoryUser, Organization
from tests.hardening.conftest import Target, app_routes
from tests.hardening.test_bodies import _message, form_routes, json_routes

# Valid JSON for every JSON route (a GraphQL document and a SCIM user) with one NUL in a value.
NUL_JSON = (
    b'{"query": "{ viewer { kind } }", '
    b'"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann\\u0000"}'
)
CREATE = "mutation($n: String!) { createOrganization(input: {name: $n}) { organization { name } } }"


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_nul_in_a_json_body_is_400_on_every_json_route(target: Target, caplog):
    users = await DirectoryUser.all().count()
    with caplog.at_level(logging.WARNING):
        for method, path, headers in json_routes(target):
            response = await target.client.request(method, path, content=NUL_JSON, headers=headers)
            assert response.status_code == 400, (path, response.status_code, response.text)
            assert "NUL character" in _message(response), (path, response.text)
            if path.startswith("/scim/"):
                assert response.json()["scimType"] == "invalidSyntax"
    _no_errors_logged(caplog)
    assert await DirectoryUser.all().count() == users


async def test_a_nul_in_a_form_is_400_on_every_form_route(target: Target, caplog):
    with caplog.at_level(logging.WARNING):
        for method, path, headers in form_routes(target):
            body = b"SAMLResponse=%00&code=12%0034&token=%00&RelayState=x"
            response = await target.client.request(method, path, content=body, headers=headers)
            assert response.status_code == 400, (path, response.status_code, response.text)
            assert "NUL character" in _message(response), (path, response.text)
    _no_errors_logged(caplog)


def _filled(template: str, target: Target, value: str | None) -> str:
    """The path with each parameter set to `value`, or to one the route accepts if None."""
    known = target.path_values() | {"export_id": "aex_x", "fmt": "csv", "name": "x.js"}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return value if value is not None else known.get(name, "x")

    return re.sub(r"\{([^}]+)\}", fill, template)


@pytest.mark.parametrize("where", ["path", "query"])
async def test_a_nul_in_the_url_is_400_on_every_route(target: Target, caplog, where):
    probed = 0
    with caplog.at_level(logging.WARNING):
        for method, template in app_routes():
            if where == "path":
                if "{" not in template:
                    continue
                url = _filled(template, target, "%00")
            else:
                url = _filled(template, target, None) + "?organization=%00&filter=x"
            headers = {"Authorization": f"Bearer {target.directory_token}"}
            response = await target.client.request(method, url, headers=headers)
            probed += 1
            assert response.status_code == 400, (method, url, response.status_code, response.text)
            assert "NUL character" in _message(response), (url, response.text)
            if url.startswith("/scim/"):
                body = response.json()
                assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
                assert body["scimType"] == "invalidValue"
    _no_errors_logged(caplog)
    assert probed > 20  # every route, not a few


async def test_percent_encoded_percent_zero_zero_is_text_not_a_nul(target: Target):
    # `%2500` is the three characters "%00": a SCIM filter may search for them.
    response = await target.client.get(
        f"/scim/v2/{target.directory_id}/Users",
        params={"filter": 'userName eq "50%00"'},
        headers={"Authorization": f"Bearer {target.directory_token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["totalResults"] == 0


async def _create(target: Target, body: dict) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {target.operator_key}"}
    response = await target.client.post("/graphql", json=body, headers=headers)
    return response.status_code, response.json()


async def test_a_nul_in_a_graphql_variable_creates_nothing(target: Target):
    before = await Organization.all().count()
    status, body = await _create(target, {"query": CREATE, "variables": {"n": "Ac\x00me"}})
    assert status == 400
    assert "NUL character" in body["errors"][0]["message"]
    assert await Organization.all().count() == before


async def test_a_nul_in_a_graphql_string_literal_creates_nothing(target: Target):
    before = await Organization.all().count()
    document = (
        'mutation { createOrganization(input: {name: "Ac\\u0000me"}) { userErrors { code } } }'
    )
    status, body = await _create(target, {"query": document})
    assert status == 200  # a validation error, as for any other invalid document
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "NUL character" in body["errors"][0]["message"]
    assert await Organization.all().count() == before


async def test_the_text_backslash_u0000_is_an_ordinary_name(target: Target):
    # JSON `"\\u0000"` is a backslash then "u0000": six characters, no NUL. The check that
    # looks for the escape in the body's text must not take it for one.
    name = "Acme \\u0000 Ltd"
    status, body = await _create(target, {"query": CREATE, "variables": {"n": name}})
    assert status == 200, body
    assert body["data"]["createOrganization"]["organization"]["name"] == name
    assert await Organization.filter(name=name).exists()

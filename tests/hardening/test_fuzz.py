"""Generated requests against every HTTP route of a real app (SECURITY 52, 53): whatever the
body, headers or GraphQL document, never a 5xx, never a stack trace or SQL in the answer, and
never an answer slower than `SLOWEST` seconds.

Hypothesis draws the requests: bodies as raw bytes, JSON of any shape and depth, forms, and
GraphQL documents both valid for our schema (hypothesis-graphql builds them from it) and
hostile (fragments that spread the next one twice, hundreds of repeated fields)."""

from __future__ import annotations

import json
import string
import time
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from hypothesis_graphql import strategies as graphql_strategies

from gatehouse.schema import build_schema
from tests.hardening.conftest import BASE, Target, app_routes

SLOWEST = 3.0  # seconds; a loaded 2-core CI machine answers these in a few milliseconds
LEAKS = ("Traceback", 'File "', "SELECT ", "INSERT INTO", "sqlite3", "asyncpg", "tortoise.")
SCHEMA_SDL = str(build_schema())


ROUTES = app_routes()
TEXT = st.text(alphabet=string.printable + "éü€\u202e\x00", max_size=40)


def doubling(levels: int) -> str:
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ viewer {{ kind }} }}")
    return "\n".join(parts)


hostile_documents = st.one_of(
    # up to 2^24 fields behind one spread: seconds for a walker that follows every spread
    st.integers(1, 24).map(doubling),
    st.integers(1, 600).map(lambda n: "{ " + "viewer { kind } " * n + "}"),
    st.integers(1, 600).map(lambda n: "{ viewer { " + "kind " * n + "} }"),
    st.integers(1, 5000).map(lambda n: "{ viewer " + "{ " * n + "}" * n + " }"),
    TEXT,
)
# Our own scalars, which hypothesis-graphql cannot draw by itself (it raises on a required one):
# instants as ISO strings, sometimes malformed, and JSON as strings of any text.
CUSTOM_SCALARS = {
    "DateTime": st.one_of(st.datetimes().map(lambda d: d.isoformat()), TEXT).map(nodes.String),
    "JSON": TEXT.map(nodes.String),
}
documents = st.one_of(
    graphql_strategies.queries(SCHEMA_SDL, custom_scalars=CUSTOM_SCALARS),
    graphql_strategies.mutations(SCHEMA_SDL, custom_scalars=CUSTOM_SCALARS),
    hostile_documents,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
graphql_bodies = st.fixed_dictionaries(
    {"query": documents},
    optional={"variables": json_values, "operationName": json_values, "extensions": json_values},
).map(lambda body: json.dumps(body).encode())
deep_json = st.tuples(
    st.sampled_from([1, 63, 64, 65, 900, 1_000, 5_000, 200_000]) | st.integers(1, 200_000),
    st.sampled_from(["[", '{"a":']),
).map(lambda p: (p[1] * p[0] + ("]" if p[1] == "[" else "}") * p[0]).encode())
forms = st.dictionaries(st.sampled_from(["SAMLResponse", "code", "token", "x"]), TEXT).map(
    lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode("utf-8", "surrogatepass")
)
bodies = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from([b"\xef\xbb\xbf{}", "{}".encode("utf-16"), b"\xff\xfe\x00", b""]),
    json_values.map(lambda v: json.dumps(v).encode()),
    graphql_bodies,
    deep_json,
    forms,
)
content_types = st.sampled_from(
    [
        None,
        "application/json",
        "application/scim+json",
        "application/x-www-form-urlencoded",
        "application/json; charset=utf-16",
        "multipart/form-data; boundary=x",
        "text/plain",
        "\x00garbage",
    ]
)


def natural(path: str, target: Target) -> tuple[str, str | None]:
    """The content type and credential a route expects, so most probes get past its door."""
    if path.startswith("/scim/"):
        return "application/scim+json", f"Bearer {target.directory_token}"
    if path in ("/graphql", "/sso/token"):
        kind = "application/json" if path == "/graphql" else "application/x-www-form-urlencoded"
        return kind, f"Bearer {target.operator_key}"
    return "application/x-www-form-urlencoded", None


@st.composite
def requests(draw: Any, target: Target) -> dict[str, Any]:
    writes = [r for r in ROUTES if r[0] in ("POST", "PUT", "PATCH")]
    method, path = draw(st.sampled_from(writes) | st.sampled_from(ROUTES))
    known = target.path_values()
    for name in ("directory_id", "connection_id", "token", "resource_id", "path"):
        if "{" + name + "}" in path:
            value = draw(st.sampled_from([known.get(name, "x")]) | TEXT)
            path = path.replace("{" + name + "}", quote(value, safe="") or "x")
    content_type, credential = natural(path, target)
    headers: dict[str, str] = {}
    if draw(st.integers(0, 3)) == 0:  # mostly what the route expects, sometimes anything
        content_type = draw(content_types)
        credential = draw(
            st.sampled_from([None, target.operator_key, target.directory_token, "sk_forged"]) | TEXT
        )
        if credential is not None:
            credential = draw(st.sampled_from(["Bearer ", "bearer ", "Basic ", ""])) + credential
    if content_type:
        headers["content-type"] = content_type
    if credential is not None:
        headers["authorization"] = credential
    if path == "/portal/start" or draw(st.booleans()):
        headers["origin"] = draw(st.sampled_from([BASE, BASE, "https://evil.example", "null"]))
    if draw(st.booleans()):
        headers["accept"] = draw(st.sampled_from(["application/json", "text/html", "*/*"]))
    params = draw(
        st.dictionaries(
            st.sampled_from(["query", "variables", "token", "state", "x"]), TEXT, max_size=3
        )
    )
    return {
        "method": method,
        "url": path,
        "headers": headers,
        "params": params,
        "content": draw(bodies),
    }


def _safe_headers(headers: dict[str, str]) -> dict[str, str]:
    # httpx refuses header values it cannot encode; a real client could not send them either.
    return {k: v for k, v in headers.items() if v.isprintable() and v.isascii()}


@settings(
    max_examples=400,
    deadline=None,
    database=None,  # no example files in the checkout; every run draws afresh
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_request_breaks_any_route(target, data):
    request = data.draw(requests(target))
    request["headers"] = _safe_headers(request["headers"])
    start = time.perf_counter()
    response = await target.client.request(**request)
    elapsed = time.perf_counter() - start
    described = f"{request['method']} {request['url']} -> {response.status_code}"
    # RFC 7644 §3.4.3 lets a provider answer a search at the SCIM root with 501.
    scim_root_search = request["url"].endswith("/.search") and "/Users" not in request["url"]
    if not (scim_root_search and response.status_code == 501):
        assert response.status_code < 500, (described, response.text[:500])
    assert elapsed < SLOWEST, (described, elapsed)
    for leak in LEAKS:
        assert leak not in response.text, (described, leak, response.text[:500])

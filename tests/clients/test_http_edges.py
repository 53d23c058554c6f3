"""The HTTP edges a dashboard meets: CORS, GraphQL over HTTP's media type and status codes,
Apollo's automatic persisted queries and trusted documents."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gatehouse.server.app import create_app
from gatehouse.server.documents import TrustedDocumentsError
from gatehouse.settings import Settings

LISTED = "https://dash.example.com"
UNLISTED = "https://evil.example.net"
GQL_RESPONSE = "application/graphql-response+json"
VIEWER = "query Viewer { viewer { kind } }"


def _settings(db: str, **extra: object) -> Settings:
    return Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
        GATEHOUSE_ALLOWED_ORIGINS=[LISTED],
        **extra,
    )


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, manage_db=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


@pytest.fixture
async def api(db: str) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(_settings(db)):
        yield c


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


# --- CORS -----------------------------------------------------------------------------------


async def test_a_listed_origins_preflight_is_answered_with_what_it_may_send(api):
    # when a listed origin's browser asks before a POST with a credential
    response = await api.options(
        "/graphql",
        headers={
            "Origin": LISTED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )

    # then it may, with credentials, for a while; and caches key on the Origin
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == LISTED
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    assert response.headers["access-control-allow-headers"] == "authorization, content-type"
    assert int(response.headers["access-control-max-age"]) > 0
    assert "Origin" in response.headers["vary"]


async def test_an_unlisted_origin_gets_no_cors_header_and_is_never_reflected(api, operator_token):
    # when an unlisted origin preflights, and sends a simple request anyway
    preflight = await api.options(
        "/graphql", headers={"Origin": UNLISTED, "Access-Control-Request-Method": "POST"}
    )
    simple = await api.post(
        "/graphql", json={"query": VIEWER}, headers=auth(operator_token, Origin=UNLISTED)
    )

    # then the preflight is refused as JSON, and neither answer names the origin or credentials
    assert preflight.status_code == 403
    assert preflight.json()["errors"][0]["extensions"]["code"] == "ORIGIN_NOT_ALLOWED"
    for response in (preflight, simple):
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-credentials" not in response.headers
        assert UNLISTED not in str(response.headers)
        assert "Origin" in response.headers["vary"]


async def test_a_listed_origin_reads_answers_with_credentials(api, operator_token):
    # when a listed origin sends the request
    response = await api.post(
        "/graphql", json={"query": VIEWER}, headers=auth(operator_token, Origin=LISTED)
    )

    # then its script may read the answer
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["kind"] == "OPERATOR"
    assert response.headers["access-control-allow-origin"] == LISTED
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"
    assert "X-Request-Id" in response.headers["access-control-expose-headers"]


async def test_preflights_for_other_methods_or_headers_are_refused(api):
    for method, headers, code in (
        ("DELETE", "", "METHOD_NOT_ALLOWED"),
        ("POST", "x-forwarded-host", "HEADER_NOT_ALLOWED"),
    ):
        response = await api.options(
            "/graphql",
            headers={
                "Origin": LISTED,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": headers,
            },
        )
        assert response.status_code == 403, method
        assert response.json()["errors"][0]["extensions"]["code"] == code
        assert "access-control-allow-origin" not in response.headers


async def test_a_similar_looking_origin_is_not_listed(api):
    for lookalike in (LISTED + ".evil.net", LISTED.replace("https", "http"), LISTED + ":444"):
        response = await api.options(
            "/graphql", headers={"Origin": lookalike, "Access-Control-Request-Method": "POST"}
        )
        assert response.status_code == 403, lookalike


# --- GraphQL over HTTP ----------------------------------------------------------------------


async def test_a_mutation_by_get_is_405_with_allow_post(api, operator_token):
    # when a mutation is sent by GET
    response = await api.get(
        "/graphql",
        params={
            "query": 'mutation { createOrganization(input: {name: "X"}) { userErrors { code } } }'
        },
        headers=auth(operator_token),
    )

    # then 405, POST is the way, and nothing was created
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    from gatehouse.models import Organization

    assert await Organization.all().count() == 0


async def test_graphql_response_json_gets_the_specifications_status_codes(api, operator_token):
    accept = {"Accept": f"{GQL_RESPONSE}, application/json;q=0.9"}
    # a document that does not parse, one that does not validate, a variable that does not
    # coerce: request errors, 400, no data entry
    for body in (
        {"query": "{ viewer { kind "},
        {"query": "{ viewer { nope } }"},
        {
            "query": "query($n: Int) { organizations(first: $n) { totalCount } }",
            "variables": {"n": "x"},
        },
    ):
        response = await api.post("/graphql", json=body, headers=auth(operator_token, **accept))
        assert response.status_code == 400, (body, response.text)
        assert response.headers["content-type"] == GQL_RESPONSE
        assert "data" not in response.json()
        assert response.json()["errors"]

    # an executed operation is 200, even when a field fails
    ok = await api.post("/graphql", json={"query": VIEWER}, headers=auth(operator_token, **accept))
    assert ok.status_code == 200
    assert ok.headers["content-type"] == GQL_RESPONSE
    # a field the key may not read fails at its path (nulling the whole answer): executed, so
    # still 200, with a data entry
    from gatehouse.auth.principal import operator_principal
    from gatehouse.resolvers import api_keys, organizations

    org = await organizations.create_organization(
        operator_principal(), organizations.NewOrganization("Acme")
    )
    _, narrow = await api_keys.create_api_key(
        operator_principal(), "narrow", org.id, ["organizations:read"]
    )
    failed_field = await api.post(
        "/graphql",
        json={"query": "{ viewer { kind } organizations { edges { node { domains { id } } } } }"},
        headers=auth(narrow, **accept),
    )
    assert failed_field.status_code == 200, failed_field.text
    assert "data" in failed_field.json()
    assert failed_field.json()["errors"][0]["path"]


async def test_plain_json_clients_keep_200_for_graphql_errors(api, operator_token):
    response = await api.post(
        "/graphql",
        json={"query": "{ viewer { nope } }"},
        headers=auth(operator_token, Accept="application/json"),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] is None


async def test_unreadable_bodies_and_unacceptable_answers(api, operator_token):
    # an unsupported body type is 415; an Accept the server cannot satisfy is 406
    wrong_type = await api.post(
        "/graphql", content=b"query", headers=auth(operator_token, **{"Content-Type": "text/plain"})
    )
    assert wrong_type.status_code == 415
    assert wrong_type.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    not_acceptable = await api.post(
        "/graphql", json={"query": VIEWER}, headers=auth(operator_token, Accept="application/xml")
    )
    assert not_acceptable.status_code == 406


# --- Automatic persisted queries ------------------------------------------------------------


def apq(digest: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_apq_registers_on_a_miss_then_runs_by_hash(api, operator_token):
    digest = sha(VIEWER)
    # when only the hash is sent, the answer is the error Apollo's link falls back on
    miss = await api.post(
        "/graphql", json={"extensions": apq(digest)}, headers=auth(operator_token)
    )
    assert miss.status_code == 200
    assert miss.headers["content-type"] == "application/json"
    assert miss.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }

    # when the link sends the text with the hash, it runs and is registered
    full = await api.post(
        "/graphql", json={"query": VIEWER, "extensions": apq(digest)}, headers=auth(operator_token)
    )
    assert full.json()["data"]["viewer"]["kind"] == "OPERATOR"

    # then the hash alone runs, by POST and by GET
    by_hash = await api.post(
        "/graphql", json={"extensions": apq(digest)}, headers=auth(operator_token)
    )
    assert by_hash.json()["data"]["viewer"]["kind"] == "OPERATOR"
    by_get = await api.get(
        "/graphql",
        params={"extensions": json.dumps(apq(digest)), "operationName": "Viewer"},
        headers=auth(operator_token, Accept="*/*"),
    )
    assert by_get.status_code == 200
    assert by_get.json()["data"]["viewer"]["kind"] == "OPERATOR"


async def test_apq_refuses_a_wrong_hash_and_does_not_register_invalid_documents(
    api, operator_token
):
    # a hash that is not the text's
    wrong = await api.post(
        "/graphql",
        json={"query": VIEWER, "extensions": apq(sha("{ other }"))},
        headers=auth(operator_token),
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    # a version Apollo's link does not speak
    unsupported = await api.post(
        "/graphql",
        json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": sha(VIEWER)}}},
        headers=auth(operator_token),
    )
    assert unsupported.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    # a document that fails validation is not kept
    bad = "{ viewer { nope } }"
    await api.post(
        "/graphql", json={"query": bad, "extensions": apq(sha(bad))}, headers=auth(operator_token)
    )
    again = await api.post(
        "/graphql", json={"extensions": apq(sha(bad))}, headers=auth(operator_token)
    )
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_apq_miss_with_graphql_response_json_is_400_as_the_spec_wants(api, operator_token):
    miss = await api.post(
        "/graphql",
        json={"extensions": apq(sha(VIEWER))},
        headers=auth(operator_token, Accept=GQL_RESPONSE),
    )
    assert miss.status_code == 400
    assert miss.headers["content-type"] == GQL_RESPONSE
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"


# --- Trusted documents ----------------------------------------------------------------------


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps({sha(VIEWER): VIEWER}))
    return path


@pytest.fixture
async def trusted(db: str, manifest: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(_settings(db, GATEHOUSE_TRUSTED_DOCUMENTS=str(manifest))):
        yield c


async def test_with_trusted_documents_a_listed_one_runs(trusted, operator_token):
    # by codegen's documentId, by Apollo's hash, and by its exact text
    for body in (
        {"documentId": f"sha256:{sha(VIEWER)}"},
        {"documentId": sha(VIEWER)},
        {"extensions": apq(sha(VIEWER))},
        {"query": VIEWER},
    ):
        response = await trusted.post("/graphql", json=body, headers=auth(operator_token))
        assert response.status_code == 200, (body, response.text)
        assert response.json()["data"]["viewer"]["kind"] == "OPERATOR"


async def test_with_trusted_documents_anything_else_is_refused_before_parsing(
    trusted, operator_token
):
    # an unlisted valid query, and text that would not even parse: the same refusal, so
    # neither reached the parser
    for text in ("{ organizations { totalCount } }", "{ ((( not graphql"):
        response = await trusted.post(
            "/graphql", json={"query": text}, headers=auth(operator_token)
        )
        assert response.status_code == 400, text
        assert response.json()["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
    # an unlisted hash is not found, and APQ registration is off
    other = "{ organizations { totalCount } }"
    for body in ({"extensions": apq(sha(other))}, {"query": other, "extensions": apq(sha(other))}):
        response = await trusted.post("/graphql", json=body, headers=auth(operator_token))
        code = response.json()["errors"][0]["extensions"]["code"]
        assert code in {"PERSISTED_QUERY_NOT_FOUND", "TRUSTED_DOCUMENT_REQUIRED"}
    still = await trusted.post(
        "/graphql", json={"extensions": apq(sha(other))}, headers=auth(operator_token)
    )
    assert still.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_manifest_whose_hash_is_not_its_documents_stops_the_server(db, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({sha("{ a }"): "{ b }"}))
    with pytest.raises(TrustedDocumentsError):
        create_app(_settings(db, GATEHOUSE_TRUSTED_DOCUMENTS=str(path)), manage_db=False)

"""SECURITY 52: validation is linear in the document, operations are priced before they run,
anonymous callers never reach validation, and no suggestions leak the schema."""

from __future__ import annotations

import time

import httpx
import pytest
from graphql import parse

from gatehouse.schema import build_schema
from gatehouse.schema.validation import OperationValidator
from gatehouse.server.app import create_app
from gatehouse.settings import Settings


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def doubling(levels: int, spreads: int = 2) -> str:
    """Each fragment spreads the next `spreads` times: 2^levels fields behind one spread."""
    parts = ["query { ...F0 }"]
    parts += [
        f"fragment F{i} on Query {{ " + f"...F{i + 1} " * spreads + "}" for i in range(levels)
    ]
    parts.append(f"fragment F{levels} on Query {{ viewer {{ kind }} }}")
    return "\n".join(parts)


def same_length(document: str, plain: str) -> str:
    # A comment pads the plain document to the same number of characters.
    return plain + "\n#" + "x" * max(0, len(document) - len(plain) - 2)


def best_of(validator: OperationValidator, document: str, rounds: int = 5) -> float:
    ast = parse(document)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        # No query text: nothing is cached, every round measures and validates in full.
        validator.errors(None, ast, {})
        best = min(best, time.perf_counter() - start)
    return best


def test_fragment_doubling_validates_in_time_linear_in_its_length(db):
    # Every limit set so high that nothing is refused: each rule runs over the whole document.
    settings = Settings(
        DATABASE_URL=db,
        GATEHOUSE_GRAPHQL_MAX_COST=10**30,
        GATEHOUSE_GRAPHQL_MAX_ALIASES=10**6,
        GATEHOUSE_GRAPHQL_MAX_DEPTH=10**6,
    )
    schema = build_schema(settings)
    validator = OperationValidator(schema._schema, settings)
    ratios = []
    for levels in (8, 11, 14, 17):
        attack = doubling(levels)
        assert validator.errors(None, parse(attack), {}) == []  # valid, and fully checked
        plain = same_length(attack, doubling(levels, spreads=1))
        ratios.append(best_of(validator, attack) / best_of(validator, plain))
    # Before this change the depth and alias rules walked every spread: 16 levels took
    # ~100x the plain document and each level doubled it.
    assert max(ratios) < 5, ratios


async def test_fragment_doubling_is_refused_as_too_costly(gql, operator_token):
    # 2^22 paths to one field: about 10 s for a limit that follows every spread, 1 ms here.
    body = await gql(doubling(22), token=operator_token)
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    assert error["extensions"]["cost"] == 2**22  # one viewer object per spread path


def nested(fields: list[str], leaf: str) -> str:
    return "{ " + " { ".join(fields) + " { " + leaf + " }" * (len(fields) + 1)


MEMBERS_FAN_OUT = """query($org: ID!, $n: Int) { organization(id: $org) {
  members(first: $n) { edges { node { user { memberships { organization {
    members(first: 100) { edges { node { id } } } } } } } } } } }"""


async def test_nested_pages_multiply_into_the_cost(gql, operator_token, make_org):
    org = await make_org()
    body = await gql(MEMBERS_FAN_OUT, {"org": org.id, "n": 100}, token=operator_token)
    assert body["data"] is None
    error = body["errors"][0]["extensions"]
    assert error["code"] == "COST_LIMIT_EXCEEDED"
    # organization 1 x (members page 100 x (edge 1 x (node 1 x (user 1 x (memberships 20 x
    # (member 1 x (organization 1 x (members page 100 x (edge 1 x (node 1))))))))))
    inner = 100 * (1 + 1 * (1 + 1))
    memberships = 20 * (1 + 1 * (1 + inner))
    outer = 100 * (1 + 1 * (1 + 1 * (1 + 1 * (1 + memberships))))
    assert error["cost"] == 1 + outer
    assert error["maxCost"] == 50_000
    # The same document with a small page runs: the price follows the variables.
    small = await gql(MEMBERS_FAN_OUT, {"org": org.id, "n": 2}, token=operator_token)
    assert "errors" not in small, small
    assert small["data"]["organization"]["members"]["edges"] == []


async def test_cost_is_checked_before_anything_runs(gql, operator_token, make_org, count_queries):
    org = await make_org()
    await gql("{ viewer { kind } }", token=operator_token)  # warm the key's lookup path
    with count_queries() as counted:
        body = await gql(MEMBERS_FAN_OUT, {"org": org.id, "n": 100}, token=operator_token)
    assert body["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    # Only the API key's own lookup touched the database; no resolver ran.
    with count_queries() as baseline:
        await gql("{ __typename }", token=operator_token)
    assert counted.count == baseline.count


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (
            "{ " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(31)) + " }",
            "ALIAS_LIMIT_EXCEEDED",
        ),
        (nested(["organizations(first: 1)", "edges", "node"] * 5, "id"), "DEPTH_LIMIT_EXCEEDED"),
        # Hundreds of same-named fields at one level: field merging would compare each pair.
        ("{ " + " ".join(["viewer { kind }"] * 300) + " }", "VALIDATION_LIMIT_EXCEEDED"),
    ],
)
async def test_each_limit_has_its_code(gql, operator_token, document, code):
    body = await gql(document, token=operator_token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code


async def test_anonymous_callers_never_reach_validation(gql):
    # An invalid document would give validation errors, if it were validated.
    body = await gql("{ noSuchField { evenLess } }")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    # Over 200 tokens, an anonymous document is not even parsed to the end.
    big = (
        'mutation { acceptInvitation(input: {token: "x"}) { ' + "userErrors { code } " * 60 + "} }"
    )
    body = await gql(big)
    assert "200 tokens" in body["errors"][0]["message"]


async def test_anonymous_callers_may_accept_an_invitation(gql):
    body = await gql(
        'mutation { acceptInvitation(input: {token: "inv_unknown"}) { userErrors { code } } }'
    )
    assert body["data"]["acceptInvitation"]["userErrors"][0]["code"] == "INVALID_TOKEN"


def _app(db: str, **env: object) -> httpx.AsyncClient:
    app = create_app(Settings(DATABASE_URL=db, **env), manage_db=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


TYPOS = [
    # a field (FieldsOnCorrectTypeRule)
    ({"query": "{ viewr { kind } }"}, "viewer"),
    # an argument (KnownArgumentNamesRule)
    ({"query": "{ organizations(frist: 1) { totalCount } }"}, "first"),
    # an enum value in the document
    (
        {
            "query": "query($o: ID!) { organization(id: $o) { members(status: ACTIV) { totalCount } } }"
        },
        "ACTIVE",
    ),
    # an enum value and an input field, in variables (coerced at execution)
    (
        {
            "query": "query($o: ID!, $s: MemberStatus) { organization(id: $o) { members(status: $s) { totalCount } } }",
            "variables": {"o": "org_x", "s": "ACTIV"},
        },
        "ACTIVE",
    ),
    # an input field in the document
    (
        {
            "query": 'mutation { createOrganization(input: {name: "x", externalld: "y"}) { userErrors { code } } }'
        },
        "externalId",
    ),
]


@pytest.mark.parametrize(("request_body", "suggestion"), TYPOS)
async def test_no_suggestions_where_introspection_is_off(
    db, operator_token, request_body, suggestion
):
    for introspection, leaks in ((True, True), (False, False)):
        async with _app(db, GATEHOUSE_GRAPHQL_INTROSPECTION=introspection) as client:
            response = await client.post(
                "/graphql", json=request_body, headers=_auth(operator_token)
            )
        messages = " ".join(e["message"] for e in response.json()["errors"])
        assert ("Did you mean" in messages) is leaks, messages
        assert (f"'{suggestion}'" in messages) is leaks, messages

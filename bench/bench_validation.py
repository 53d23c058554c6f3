"""Validation cost of hostile documents at the token limit, against a normal dashboard query.

Each document goes through what a request pays before anything executes (parsing, the size
limits, then the GraphQL rules), with nothing cached. The normal query is an organization
overview page as Apollo Client sends it: fragments per panel, repeating `id` and `__typename`.
Each hostile shape is grown to the largest size under GATEHOUSE_GRAPHQL_MAX_TOKENS. Prints
each shape's time (best of several rounds), its outcome, and its multiple of the normal
query; the last line is the worst multiple (target: under 10x).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from graphql import GraphQLSyntaxError, parse
from graphql.language import Lexer, Source, TokenKind

from gatehouse.schema import build_schema
from gatehouse.schema.validation import OperationValidator
from gatehouse.settings import Settings

ROUNDS = 7

DASHBOARD = """
query OrganizationOverview($id: ID!, $first: Int) {
  organization(id: $id) { __typename id ...OrgHeader ...OrgDomains ...OrgSso ...OrgDirectory
    ...OrgMembers ...OrgInvitations }
}
fragment OrgHeader on Organization { __typename id name externalId createdAt updatedAt
  policy { jitProvisioning joinByVerifiedDomain requireSso
    defaultRole { __typename id slug name } } }
fragment OrgDomains on Organization { __typename id
  domains { __typename id domain state verifiedAt failureReason record { type name value } } }
fragment OrgSso on Organization { __typename id
  connections { __typename id name type state createdAt } }
fragment OrgDirectory on Organization { __typename id
  directories { __typename id name type state lastActivityAt userCount groupCount } }
fragment OrgMembers on Organization { __typename id
  members(first: $first) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { ...MemberRow } } }
  roles { __typename id slug name permissions } }
fragment OrgInvitations on Organization { __typename id
  invitations(first: 10) { totalCount
    edges { node { __typename id email state expiresAt role { slug } } } } }
fragment MemberRow on Member { __typename id status source createdAt
  role { __typename id slug name } user { __typename id email firstName lastName } }
"""

ORGANIZATION = (
    "organization(id: $id) { id name externalId metadata createdAt updatedAt policy { "
    "jitProvisioning joinByVerifiedDomain requireSso restrictInvitationsToVerifiedDomains "
    "defaultRole { id slug name permissions } } domains { id domain unicodeDomain state strategy "
    "verifiedAt lastCheckedAt failureReason record { type name value } } connections { id name "
    "type state createdAt } roles { id slug name permissions } }"
)


def doubling(n: int) -> str:
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    return "\n".join([*parts, f"fragment F{n} on Query {{ viewer {{ kind }} }}"])


def subsets(n: int) -> str:
    names = ["id", "name", "externalId", "metadata", "createdAt", "updatedAt", "__typename"]
    fields = (" ".join(f for j, f in enumerate(names) if (i >> j) & 1 or j == 0) for i in range(n))
    return (
        "query W($id: ID!) { " + " ".join(f"organization(id: $id) {{ {f} }}" for f in fields) + " }"
    )


SHAPES: dict[str, Callable[[int], str]] = {
    # fragments that each spread the next one twice (2^n fields behind one spread)
    "fragment doubling": doubling,
    "same field repeated": lambda n: "{ viewer { " + " kind" * n + " } }",
    "same object repeated": lambda n: "{ " + " viewer { kind }" * n + " }",
    "fragments side by side": lambda n: (
        "query { "
        + " ".join(f"...F{i}" for i in range(n))
        + " } "
        + " ".join(f"fragment F{i} on Query {{ viewer {{ kind }} }}" for i in range(n))
    ),
    "inline fragments": lambda n: "{ " + " ... on Query { viewer { kind } }" * n + " }",
    "distinct selections": subsets,
    # valid documents that pass every limit: only their length costs
    "wide, aliased": lambda n: (
        "query W($id: ID!) { " + " ".join(f"a{i}: {ORGANIZATION}" for i in range(min(n, 30))) + " }"
    ),
    "wide, in fragments": lambda n: (
        "query W($id: ID!) { "
        + " ".join(f"...O{i}" for i in range(n))
        + " } "
        + " ".join(f"fragment O{i} on Query {{ a{i}: {ORGANIZATION} }}" for i in range(n))
    ),
    "deep nesting": lambda n: "{ viewer " + "{ kind " * n + "}" * n + " }",
}


def tokens(document: str) -> int:
    lexer, count = Lexer(Source(document)), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


def largest_under(make: Callable[[int], str], limit: int) -> str:
    low, high = 1, 4000
    while low < high:
        middle = (low + high + 1) // 2
        if tokens(make(middle)) <= limit:
            low = middle
        else:
            high = middle - 1
    return make(low)


def best(validator: OperationValidator, document: str) -> tuple[float, str]:
    """Parsing and validation, as a request pays them before anything executes."""
    seconds, outcome = float("inf"), "valid"
    for _ in range(ROUNDS):
        start = time.perf_counter()
        try:
            ast = parse(document, max_tokens=validator.settings.graphql_max_tokens)
        except GraphQLSyntaxError:
            errors: list[Any] = ["refused by the parser"]
        else:
            errors = validator.errors(None, ast, {"first": 50})  # no text: nothing cached
        seconds = min(seconds, time.perf_counter() - start)
        if errors:
            first = errors[0]
            outcome = first if isinstance(first, str) else str(first.extensions.get("code"))
    return seconds, outcome


def main() -> None:
    settings = Settings(DATABASE_URL="sqlite://:memory:")
    schema = build_schema(settings)
    validator = OperationValidator(schema._schema, settings)  # noqa: SLF001
    limit = settings.graphql_max_tokens
    normal, outcome = best(validator, DASHBOARD)
    assert outcome == "valid", outcome
    print(f"normal dashboard query: {tokens(DASHBOARD)} tokens, {normal * 1000:.2f} ms")
    worst = 0.0
    for name, make in SHAPES.items():
        document = largest_under(make, limit)
        seconds, outcome = best(validator, document)
        worst = max(worst, seconds / normal)
        print(
            f"  {name:24s} {tokens(document):5d} tokens {seconds * 1000:7.2f} ms "
            f"{seconds / normal:5.1f}x  {outcome}"
        )
    print(f"worst document under the {limit}-token limit: {worst:.1f}x the dashboard query")


if __name__ == "__main__":
    main()

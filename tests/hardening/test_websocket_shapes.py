"""The same limits and the same silence about the schema over websockets (subscriptions)."""

from __future__ import annotations

import pytest
from gql import gql as document
from gql.transport.exceptions import TransportQueryError

from gatehouse.server.app import create_app
from tests.events.conftest import event_settings, start_server, stop_server


@pytest.fixture
async def production_like(db):
    settings = event_settings(db, GATEHOUSE_GRAPHQL_INTROSPECTION=False)
    server = await start_server(create_app(settings, manage_db=False), settings)
    yield server
    await stop_server(server)


@pytest.mark.parametrize(
    ("subscription", "variables", "code"),
    [
        ("subscription { evnts { id } }", {}, None),  # a typo in a field
        ('subscription { events(typs: ["x"]) { id } }', {}, None),  # an argument
        # hundreds of same-named fields at one level: refused before field merging runs away
        ("subscription { events { " + "id " * 400 + "} }", {}, "VALIDATION_LIMIT_EXCEEDED"),
    ],
)
async def test_subscriptions_are_checked_like_requests(
    production_like, operator_token, subscription, variables, code
):
    async def first_message() -> None:
        async with production_like.ws_client(operator_token) as session:
            async for _ in session.subscribe(document(subscription), variable_values=variables):
                return

    with pytest.raises(TransportQueryError) as refused:
        await first_message()
    errors = refused.value.errors or []
    assert errors, refused.value
    assert all("Did you mean" not in e["message"] for e in errors), errors
    if code is not None:
        assert errors[0]["extensions"]["code"] == code


async def test_a_nul_in_a_subscription_is_refused(production_like, operator_token):
    # A string literal: a validation error, as over HTTP (a variable's NUL is refused where the
    # message's JSON is decoded, so the socket closes as for any malformed message).
    subscription = 'subscription { events(types: ["user.\\u0000created"]) { id } }'

    async def first_message() -> None:
        async with production_like.ws_client(operator_token) as session:
            async for _ in session.subscribe(document(subscription)):
                return

    with pytest.raises(TransportQueryError) as refused:
        await first_message()
    [error] = refused.value.errors or [{}]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error

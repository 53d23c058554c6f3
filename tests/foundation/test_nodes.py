"""Every type that implements Node, read from the schema itself, is found by `node(id:)`."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from graphql import GraphQLObjectType

from gatehouse.auth.principal import operator_principal
from gatehouse.events.sequencer import sequence_pending
from gatehouse.models import (
    Connection,
    ConnectionType,
    Delivery,
    Directory,
    DirectoryGroup,
    DirectoryUser,
    Domain,
    Event,
    Invitation,
    LogStream,
    LogStreamType,
    Member,
    Role,
    User,
)
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.events import webhooks
from gatehouse.schema import build_schema

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


def node_types() -> set[str]:
    schema = build_schema()._schema
    node = schema.get_type("Node")
    return {
        t.name
        for t in schema.type_map.values()
        if isinstance(t, GraphQLObjectType) and node in t.interfaces
    }


async def one_of_each(make_org) -> dict[str, str]:
    """An object of every Node type, by type name → id."""
    org = await make_org("Acme")
    user = await User.create(email="ada@acme.com")
    role = await Role.filter(organization_id=org.id).first()
    assert role is not None
    member = await Member.create(organization=org, user=user, role=role)
    key, _ = await api_keys.create_api_key(operator_principal(), "k", org.id)
    domain = await Domain.create(organization=org, domain="acme.com", token="t")
    connection = await Connection.create(organization=org, name="Okta", type=ConnectionType.SAML)
    directory = await Directory.create(
        organization=org, name="SCIM", token_hash="h", token_prefix="p"
    )
    directory_user = await DirectoryUser.create(
        directory=directory, user_name="ada", user_name_lower="ada"
    )
    directory_group = await DirectoryGroup.create(
        directory=directory, display_name="Eng", display_name_lower="eng"
    )
    invitation = await Invitation.create(
        organization=org,
        email="bob@acme.com",
        token_hash="ih",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    endpoint, _ = await webhooks.create_webhook_endpoint(
        operator_principal(),
        "http://127.0.0.1:9/hook",
        [],
        org.id,
        allow_private=True,
        secret_key=os.environ["GATEHOUSE_SECRET_KEY"],
    )
    stream = await LogStream.create(
        organization_id=org.id, url="https://siem.test", type=LogStreamType.HTTPS
    )
    await sequence_pending()
    event = await Event.filter(organization_id=org.id, position__isnull=False).first()
    assert event is not None
    delivery = await Delivery.create(
        target_id=endpoint.id,
        event_id=event.id,
        event_position=event.position,
        succeeded=False,
        attempt=1,
    )
    return {
        "Organization": org.id,
        "User": user.id,
        "Role": role.id,
        "Member": member.id,
        "ApiKey": key.id,
        "Domain": domain.id,
        "Connection": connection.id,
        "Directory": directory.id,
        "DirectoryUser": directory_user.id,
        "DirectoryGroup": directory_group.id,
        "Invitation": invitation.id,
        "WebhookEndpoint": endpoint.id,
        "LogStream": stream.id,
        "Delivery": delivery.id,
        "Event": event.id,
    }


async def test_every_node_type_in_the_schema_resolves_through_node(gql, operator_token, make_org):
    # given one object of each type the schema says implements Node
    objects = await one_of_each(make_org)
    types = node_types()
    assert "Event" in types
    assert "Delivery" in types
    assert types <= set(objects), f"no fixture for {types - set(objects)}"

    # when each is read by its id
    for name in sorted(types):
        body = await gql(NODE, {"id": objects[name]}, token=operator_token)

        # then node(id:) returns it, as its own type
        assert body.get("errors") is None, (name, body)
        assert body["data"]["node"] == {"__typename": name, "id": objects[name]}, name


async def test_node_hides_other_tenants_objects_of_every_type(gql, make_org):
    # given one object of each type in organization A, and a key scoped to B
    objects = await one_of_each(make_org)
    other = await make_org("Other")
    _, token = await api_keys.create_api_key(operator_principal(), "b", other.id)

    # when B's key reads each by id
    for name in sorted(node_types()):
        body = await gql(NODE, {"id": objects[name]}, token=token)
        # then it reads as absent
        assert body["data"]["node"] is None, (name, body)

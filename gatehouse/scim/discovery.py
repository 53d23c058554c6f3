"""Discovery endpoints (RFC 7644 §4): ServiceProviderConfig, ResourceTypes, Schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

from scim2_models import Context, EnterpriseUser, Group, User
from starlette.responses import Response

from gatehouse.scim.errors import not_found, scim_response
from gatehouse.scim.http import MAX_COUNT, ScimRequest, list_response
from gatehouse.scim.resources import ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RT_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"


def _meta(kind: str, location: str) -> dict[str, str]:
    return {"resourceType": kind, "location": location}


def service_provider_config(scim: ScimRequest) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_COUNT},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "The directory's bearer token, shown once in Gatehouse.",
                "primary": True,
            }
        ],
        "meta": _meta("ServiceProviderConfig", f"{scim.base_url}/ServiceProviderConfig"),
    }


def _resource_types(scim: ScimRequest) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RT_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False}],
            "meta": _meta("ResourceType", f"{scim.base_url}/ResourceTypes/User"),
        },
        {
            "schemas": [RT_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Group",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": _meta("ResourceType", f"{scim.base_url}/ResourceTypes/Group"),
        },
    ]


@cache
def _schema_bodies() -> tuple[dict[str, Any], ...]:
    # scim2-models describes the schemas it validates with, so they cannot drift apart.
    return tuple(
        model.to_schema().model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        for model in (User, Group, EnterpriseUser)
    )


def _schemas(scim: ScimRequest) -> list[dict[str, Any]]:
    out = []
    for body in _schema_bodies():
        location = f"{scim.base_url}/Schemas/{body['id']}"
        out.append({**body, "meta": _meta("Schema", location)})
    return out


async def get_service_provider_config(scim: ScimRequest) -> Response:
    return scim_response(service_provider_config(scim))


async def list_resource_types(scim: ScimRequest) -> Response:
    items = _resource_types(scim)
    return scim_response(list_response(items, len(items), 1))


async def get_resource_type(scim: ScimRequest) -> Response:
    for item in _resource_types(scim):
        if item["id"] == scim.path_id:
            return scim_response(item)
    raise not_found("ResourceType")


async def list_schemas(scim: ScimRequest) -> Response:
    items = _schemas(scim)
    return scim_response(list_response(items, len(items), 1))


async def get_schema(scim: ScimRequest) -> Response:
    for item in _schemas(scim):
        if item["id"] == scim.path_id:
            return scim_response(item)
    raise not_found("Schema")

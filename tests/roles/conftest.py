"""Fixtures for product roles: GraphQL helpers for permissions and environment roles, and a
reader for the access token's claims (as a product would read them, without Gatehouse)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

CREATE_PERMISSION = """mutation($i: CreatePermissionInput!) { createPermission(input: $i) {
  permission { id slug name description } userErrors { field code message } } }"""
CREATE_ENV_ROLE = """mutation($i: CreateEnvironmentRoleInput!) { createEnvironmentRole(input: $i) {
  environmentRole { id slug name permissions isDefault builtIn }
  userErrors { field code message } } }"""
UPDATE_ENV_ROLE = """mutation($i: UpdateEnvironmentRoleInput!) { updateEnvironmentRole(input: $i) {
  environmentRole { slug name permissions } userErrors { field code message } } }"""
OVERRIDE = """mutation($i: OverrideEnvironmentRoleInput!) { overrideEnvironmentRole(input: $i) {
  role { slug permissions environmentRole overridden } userErrors { field code message } } }"""
RESET = """mutation($i: ResetEnvironmentRoleInput!) { resetEnvironmentRole(input: $i) {
  role { slug permissions environmentRole overridden } userErrors { field code message } } }"""
ROLES = """query($id: ID!) { organization(id: $id) {
  roles { slug name permissions environmentRole overridden builtIn }
  policy { defaultRole { slug } } } }"""


def claims_of(access_token: str) -> dict[str, Any]:
    """The JWT's payload: what the product reads after checking the signature (the
    signature itself is tested in tests/sign_in/test_tokens.py)."""
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture
def op(gql, operator_token):
    """Run a mutation with the operator key; returns its payload."""

    async def run(mutation: str, variables: dict[str, Any], token: str | None = None) -> Any:
        body = await gql(mutation, variables, token=token or operator_token)
        assert body.get("errors") is None, body
        return next(iter(body["data"].values()))

    return run


@pytest.fixture
def org_roles(gql, operator_token):
    async def run(organization_id: str) -> dict[str, dict[str, Any]]:
        body = await gql(ROLES, {"id": organization_id}, token=operator_token)
        return {r["slug"]: r for r in body["data"]["organization"]["roles"]}

    return run

"""Permission strings. A Principal holds a set of them; resolvers check one per action."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    ORGANIZATIONS_READ = "organizations:read"
    ORGANIZATIONS_WRITE = "organizations:write"
    # Creating and deleting organizations is an operator's act, never a tenant's.
    ORGANIZATIONS_MANAGE = "organizations:manage"
    MEMBERS_READ = "members:read"
    MEMBERS_WRITE = "members:write"
    ROLES_READ = "roles:read"
    ROLES_WRITE = "roles:write"
    API_KEYS_WRITE = "api_keys:write"
    INVITATIONS_READ = "invitations:read"
    INVITATIONS_WRITE = "invitations:write"
    EVENTS_READ = "events:read"
    WEBHOOKS_WRITE = "webhooks:write"
    LOG_STREAMS_WRITE = "log_streams:write"
    DOMAINS_READ = "domains:read"
    DOMAINS_WRITE = "domains:write"
    CONNECTIONS_READ = "connections:read"
    CONNECTIONS_WRITE = "connections:write"
    # Generating Admin Portal setup links for an organization.
    PORTAL_WRITE = "portal:write"
    DIRECTORIES_READ = "directories:read"
    DIRECTORIES_WRITE = "directories:write"
    # Signing people in (codes, sign-in results, refreshing sessions): the operator's backend.
    SESSIONS_MANAGE = "sessions:manage"
    # People as people, across organizations: profiles, merges, erasure and export.
    USERS_MANAGE = "users:manage"
    # Product permissions and environment roles: defined once for every organization.
    ENVIRONMENT_MANAGE = "environment:manage"
    # The audit trail: reading and exporting it, access reviews; writing the product's entries.
    AUDIT_LOGS_READ = "audit_logs:read"
    AUDIT_LOGS_WRITE = "audit_logs:write"


# What an organization may hold: everything except managing organizations themselves, signing
# people in, managing a person across organizations, and the environment's permissions and
# roles, which only the operator's backend does.
OPERATOR_ONLY_PERMISSIONS = frozenset(
    {
        Permission.ORGANIZATIONS_MANAGE,
        Permission.SESSIONS_MANAGE,
        Permission.USERS_MANAGE,
        Permission.ENVIRONMENT_MANAGE,
    }
)
ORGANIZATION_PERMISSIONS: frozenset[str] = frozenset(
    p.value for p in Permission if p not in OPERATOR_ONLY_PERMISSIONS
)
ALL_PERMISSIONS: frozenset[str] = frozenset(p.value for p in Permission)

ADMIN_ROLE_PERMISSIONS: tuple[str, ...] = tuple(sorted(ORGANIZATION_PERMISSIONS))
MEMBER_ROLE_PERMISSIONS: tuple[str, ...] = (
    Permission.ORGANIZATIONS_READ.value,
    Permission.MEMBERS_READ.value,
    Permission.ROLES_READ.value,
    Permission.DOMAINS_READ.value,
)

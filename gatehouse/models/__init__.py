"""Tortoise ORM models, one module per aggregate. Tortoise discovers them through this module."""

from gatehouse.models.api_key import ApiKey
from gatehouse.models.audit import (
    AuditAction,
    AuditEntry,
    AuditExport,
    AuditExportKind,
    AuditSettings,
    AuditSource,
    MembershipPeriod,
)
from gatehouse.models.connection import (
    Connection,
    ConnectionGroupRoleMapping,
    ConnectionState,
    ConnectionType,
)
from gatehouse.models.delivery import (
    Delivery,
    LogStream,
    LogStreamType,
    TargetState,
    WebhookEndpoint,
)
from gatehouse.models.directory import (
    DeprovisioningAction,
    Directory,
    DirectoryGroup,
    DirectoryGroupMember,
    DirectoryMode,
    DirectoryState,
    DirectoryType,
    DirectoryUser,
    GroupRoleMapping,
)
from gatehouse.models.domain import Domain, DomainEnrollment, DomainState, DomainStrategy
from gatehouse.models.environment import EnvironmentRole, ProductPermission
from gatehouse.models.event import Event
from gatehouse.models.invitation import Invitation, InvitationState
from gatehouse.models.organization import Organization, Role
from gatehouse.models.portal import PortalIntent, PortalLink, PortalSession
from gatehouse.models.recording import ScimRequestRecord, SignInAttempt, SignInOutcome
from gatehouse.models.session import (
    AuthenticationMethod,
    PendingAuthentication,
    RefreshToken,
    Session,
    SignInCode,
    SigningKey,
)
from gatehouse.models.sso import LinkedIdentity, SamlAssertionId, SsoCode, SsoRequest
from gatehouse.models.user import Member, MemberSource, MemberStatus, User, fitted_name

__all__ = [
    "ApiKey",
    "AuditAction",
    "AuditEntry",
    "AuditExport",
    "AuditExportKind",
    "AuditSettings",
    "AuditSource",
    "AuthenticationMethod",
    "Connection",
    "ConnectionGroupRoleMapping",
    "ConnectionState",
    "ConnectionType",
    "Delivery",
    "DeprovisioningAction",
    "Directory",
    "DirectoryGroup",
    "DirectoryGroupMember",
    "DirectoryMode",
    "DirectoryState",
    "DirectoryType",
    "DirectoryUser",
    "Domain",
    "DomainEnrollment",
    "DomainState",
    "DomainStrategy",
    "EnvironmentRole",
    "Event",
    "GroupRoleMapping",
    "Invitation",
    "InvitationState",
    "LinkedIdentity",
    "LogStream",
    "LogStreamType",
    "Member",
    "MemberSource",
    "MemberStatus",
    "MembershipPeriod",
    "Organization",
    "PendingAuthentication",
    "PortalIntent",
    "PortalLink",
    "PortalSession",
    "ProductPermission",
    "RefreshToken",
    "Role",
    "SamlAssertionId",
    "ScimRequestRecord",
    "Session",
    "SignInAttempt",
    "SignInCode",
    "SignInOutcome",
    "SigningKey",
    "SsoCode",
    "SsoRequest",
    "TargetState",
    "User",
    "WebhookEndpoint",
    "fitted_name",
]

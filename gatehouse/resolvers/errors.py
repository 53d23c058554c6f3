"""Domain errors. Resolvers raise them; `schema/` turns them into GraphQL, SCIM or HTTP shapes.

Two families: *user errors* are expected outcomes of bad input (they become `userErrors` in
payloads); *access errors* mean the caller may not be here at all (they become top-level
GraphQL errors with an `extensions.code`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_ID = "INVALID_ID"
    INVALID_CURSOR = "INVALID_CURSOR"
    PAGE_SIZE_EXCEEDED = "PAGE_SIZE_EXCEEDED"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_SLUG = "INVALID_SLUG"
    INVALID_METADATA = "INVALID_METADATA"
    INVALID_PERMISSION = "INVALID_PERMISSION"
    INVALID_SCOPE = "INVALID_SCOPE"
    EXTERNAL_ID_TAKEN = "EXTERNAL_ID_TAKEN"
    ROLE_NOT_FOUND = "ROLE_NOT_FOUND"
    ROLE_SLUG_TAKEN = "ROLE_SLUG_TAKEN"
    ROLE_IN_USE = "ROLE_IN_USE"
    SYSTEM_ROLE = "SYSTEM_ROLE"
    MEMBER_EXISTS = "MEMBER_EXISTS"
    LAST_ADMIN = "LAST_ADMIN"
    ALREADY_ACTIVE = "ALREADY_ACTIVE"
    ALREADY_INACTIVE = "ALREADY_INACTIVE"
    NO_ROTATION_IN_PROGRESS = "NO_ROTATION_IN_PROGRESS"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    ALREADY_REVOKED = "ALREADY_REVOKED"
    OPERATOR_ONLY = "OPERATOR_ONLY"
    CURSOR_EXPIRED = "CURSOR_EXPIRED"
    PRIVATE_URL = "PRIVATE_URL"
    INVALID_EVENT_TYPE = "INVALID_EVENT_TYPE"
    INVALID_DOMAIN = "INVALID_DOMAIN"
    DOMAIN_IS_EMAIL = "DOMAIN_IS_EMAIL"
    DOMAIN_IS_URL = "DOMAIN_IS_URL"
    DOMAIN_IS_IP = "DOMAIN_IS_IP"
    WILDCARD_DOMAIN = "WILDCARD_DOMAIN"
    SINGLE_LABEL_DOMAIN = "SINGLE_LABEL_DOMAIN"
    PUBLIC_SUFFIX = "PUBLIC_SUFFIX"
    PUBLIC_EMAIL_PROVIDER = "PUBLIC_EMAIL_PROVIDER"
    DOMAIN_TAKEN = "DOMAIN_TAKEN"
    DOMAIN_ALREADY_ADDED = "DOMAIN_ALREADY_ADDED"
    TOO_MANY_DOMAINS = "TOO_MANY_DOMAINS"
    INVALID_SAML_METADATA = "INVALID_SAML_METADATA"
    INVALID_CERTIFICATE = "INVALID_CERTIFICATE"
    INVALID_URL = "INVALID_URL"
    DISCOVERY_FAILED = "DISCOVERY_FAILED"
    METADATA_FETCH_FAILED = "METADATA_FETCH_FAILED"
    CONNECTION_INCOMPLETE = "CONNECTION_INCOMPLETE"
    WRONG_CONNECTION_TYPE = "WRONG_CONNECTION_TYPE"
    INVALID_INTENT = "INVALID_INTENT"
    INVALID_RETURN_URL = "INVALID_RETURN_URL"
    PORTAL_LINK_INVALID = "PORTAL_LINK_INVALID"
    PORTAL_LINK_USED = "PORTAL_LINK_USED"
    PORTAL_LINK_EXPIRED = "PORTAL_LINK_EXPIRED"
    INVALID_PRIORITY = "INVALID_PRIORITY"
    GROUP_NOT_FOUND = "GROUP_NOT_FOUND"
    DIRECTORY_NOT_IN_PREVIEW = "DIRECTORY_NOT_IN_PREVIEW"
    INVALID_EXPIRY = "INVALID_EXPIRY"
    INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105 - an error code, not a secret
    INVITATION_ACCEPTED = "INVITATION_ACCEPTED"
    INVITATION_REVOKED = "INVITATION_REVOKED"
    INVITATION_EXPIRED = "INVITATION_EXPIRED"
    DOMAIN_NOT_VERIFIED = "DOMAIN_NOT_VERIFIED"
    RATE_LIMITED = "RATE_LIMITED"
    ROLE_EXCEEDS_CALLER = "ROLE_EXCEEDS_CALLER"
    INVALID_CODE = "INVALID_CODE"
    INVALID_REDIRECT_URI = "INVALID_REDIRECT_URI"
    MAIL_FAILED = "MAIL_FAILED"
    ORGANIZATION_SELECTION_REQUIRED = "ORGANIZATION_SELECTION_REQUIRED"
    MEMBERSHIP_REQUIRED = "MEMBERSHIP_REQUIRED"
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"  # noqa: S105 - an error code, not a secret
    AUTH_METHOD_NOT_ALLOWED = "AUTH_METHOD_NOT_ALLOWED"
    SESSION_REQUIRED = "SESSION_REQUIRED"
    INVALID_AUTH_METHODS = "INVALID_AUTH_METHODS"
    MEMBERSHIP_PENDING_APPROVAL = "MEMBERSHIP_PENDING_APPROVAL"
    NOT_PENDING = "NOT_PENDING"
    SSO_BYPASS_ADMINS_ONLY = "SSO_BYPASS_ADMINS_ONLY"
    SAME_USER = "SAME_USER"
    EMAIL_NOT_LINKABLE = "EMAIL_NOT_LINKABLE"
    ALREADY_DELIVERED = "ALREADY_DELIVERED"
    TARGET_DISABLED = "TARGET_DISABLED"
    PERMISSION_RESERVED = "PERMISSION_RESERVED"
    PERMISSION_SLUG_TAKEN = "PERMISSION_SLUG_TAKEN"
    PERMISSION_IN_USE = "PERMISSION_IN_USE"
    ENVIRONMENT_ROLE = "ENVIRONMENT_ROLE"
    AUDIT_ACTION_UNKNOWN = "AUDIT_ACTION_UNKNOWN"
    INVALID_TARGET_TYPE = "INVALID_TARGET_TYPE"
    INVALID_METADATA_SCHEMA = "INVALID_METADATA_SCHEMA"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_RANGE = "INVALID_RANGE"
    INVALID_RETENTION = "INVALID_RETENTION"


@dataclass(frozen=True, slots=True)
class FieldError:
    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None
    # AUTH_METHOD_NOT_ALLOWED: where the person can sign in instead (the organization's SSO).
    authorize_url: str | None = None


class DomainError(Exception):
    """An expected failure: one or more field errors, nothing changed."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors

    @classmethod
    def of(cls, code: ErrorCode, message: str, *field: str) -> DomainError:
        return cls(FieldError(code, message, field or None))


def not_found(what: str, *field: str) -> DomainError:
    return DomainError.of(ErrorCode.NOT_FOUND, f"{what} not found.", *field)


class AccessError(Exception):
    code = "FORBIDDEN"


class AuthenticationRequired(AccessError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "Authentication required.") -> None:
        super().__init__(message)


class PermissionDenied(AccessError):
    code = "FORBIDDEN"

    def __init__(self, permission: str) -> None:
        super().__init__(f"Missing permission: {permission}.")
        self.permission = permission


class Validator:
    """Collects every field error of an input, so the caller sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, code: ErrorCode, message: str, *field: str) -> None:
        self.errors.append(FieldError(code, message, field or None))

    def check(self) -> None:
        if self.errors:
            raise DomainError(*self.errors)

"""Runtime configuration, read once from the environment (and `.env`)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class RateLimit(BaseModel):
    """A token bucket: `rate` requests per second sustained, up to `burst` at once."""

    model_config = ConfigDict(frozen=True)
    rate: float
    burst: int


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite://gatehouse.db", alias="DATABASE_URL")
    redis_url: str | None = Field(None, alias="REDIS_URL")
    base_url: str = Field("http://127.0.0.1:8000", alias="GATEHOUSE_BASE_URL")
    # Encrypts secrets at rest (OIDC client secrets, webhook secrets, log-stream tokens) and keys
    # the portal's CSRF tokens. Unset, a development server keeps a generated key in a local
    # file (so what it encrypted stays readable across restarts); production must set it.
    secret_key: str = Field(default="", alias="GATEHOUSE_SECRET_KEY")
    environment: Literal["development", "production"] = Field("development", alias="GATEHOUSE_ENV")
    max_body_bytes: int = Field(1_000_000, alias="GATEHOUSE_MAX_BODY_BYTES")
    graphql_max_depth: int = Field(12, alias="GATEHOUSE_GRAPHQL_MAX_DEPTH")
    graphql_max_aliases: int = Field(30, alias="GATEHOUSE_GRAPHQL_MAX_ALIASES")
    # Validation is linear in the document (~18 µs per token on one core), so this bounds it.
    # Real documents are far smaller: GraphiQL's introspection query has 183 tokens, an
    # Apollo-style organization overview page with its fragments about 200.
    graphql_max_tokens: int = Field(2000, alias="GATEHOUSE_GRAPHQL_MAX_TOKENS")
    # Objects an operation may return: page sizes multiplied through nested lists
    # (schema/operation_cost.py).
    graphql_max_cost: int = Field(50_000, alias="GATEHOUSE_GRAPHQL_MAX_COST")
    # None means "on in development, off in production".
    graphql_introspection: bool | None = Field(None, alias="GATEHOUSE_GRAPHQL_INTROSPECTION")
    graphql_ide: bool | None = Field(None, alias="GATEHOUSE_GRAPHQL_IDE")
    # How long a sign-in lasts: refreshing works until then, and the person signs in again.
    session_ttl_seconds: int = Field(8 * 3600, alias="GATEHOUSE_SESSION_TTL_SECONDS")
    # Access tokens (JWTs the operator's product verifies with /.well-known/jwks.json).
    access_token_ttl_seconds: int = Field(300, alias="GATEHOUSE_ACCESS_TOKEN_TTL_SECONDS", ge=30)
    # Emailed sign-in codes: sends per address and per client address in a rolling window.
    sign_in_codes_per_email: int = Field(5, alias="GATEHOUSE_SIGN_IN_CODES_PER_EMAIL")
    sign_in_codes_per_ip: int = Field(20, alias="GATEHOUSE_SIGN_IN_CODES_PER_IP")
    sign_in_code_window_seconds: int = Field(600, alias="GATEHOUSE_SIGN_IN_CODE_WINDOW_SECONDS")
    # Admin Portal: a setup link is single use and short-lived; the session it starts is not.
    portal_link_ttl_seconds: int = Field(300, alias="GATEHOUSE_PORTAL_LINK_TTL_SECONDS")
    portal_session_ttl_seconds: int = Field(3600, alias="GATEHOUSE_PORTAL_SESSION_TTL_SECONDS")
    brand_name: str = Field("Gatehouse", alias="GATEHOUSE_BRAND_NAME")
    brand_logo_url: str | None = Field(None, alias="GATEHOUSE_BRAND_LOGO_URL")
    brand_color: str = Field("#3b5bdb", alias="GATEHOUSE_BRAND_COLOR")
    # Operations: rate limits per API key / session / SCIM directory (token bucket).
    rate_limit_enabled: bool = Field(default=True, alias="GATEHOUSE_RATE_LIMIT_ENABLED")
    rate_limit_per_second: float = Field(50.0, alias="GATEHOUSE_RATE_LIMIT_PER_SECOND")
    rate_limit_burst: int = Field(100, alias="GATEHOUSE_RATE_LIMIT_BURST")
    # JSON object: bucket key or id (key_01…, directory:dir_01…) -> {"rate": …, "burst": …}
    rate_limit_overrides: dict[str, RateLimit] = Field(
        default_factory=dict, alias="GATEHOUSE_RATE_LIMIT_OVERRIDES"
    )
    readiness_timeout_seconds: float = Field(2.0, alias="GATEHOUSE_READINESS_TIMEOUT_SECONDS")
    readyz_requires_redis: bool = Field(default=True, alias="GATEHOUSE_READYZ_REQUIRES_REDIS")
    # PostgreSQL: fail fast instead of hanging when the server cannot be reached.
    db_connect_timeout_seconds: int = Field(5, alias="GATEHOUSE_DB_CONNECT_TIMEOUT_SECONDS")
    db_command_timeout_seconds: float = Field(30.0, alias="GATEHOUSE_DB_COMMAND_TIMEOUT_SECONDS")
    db_pool_max_size: int = Field(10, alias="GATEHOUSE_DB_POOL_MAX_SIZE")
    metrics_enabled: bool = Field(default=True, alias="GATEHOUSE_METRICS_ENABLED")
    graceful_shutdown_seconds: float = Field(20.0, alias="GATEHOUSE_GRACEFUL_SHUTDOWN_SECONDS")
    log_format: Literal["json", "text"] | None = Field(None, alias="GATEHOUSE_LOG_FORMAT")

    @property
    def rate_limit(self) -> RateLimit:
        return RateLimit(rate=self.rate_limit_per_second, burst=self.rate_limit_burst)

    # Events and deliveries (events/).
    event_retention_days: int = Field(30, alias="GATEHOUSE_EVENT_RETENTION_DAYS")
    # Fallback poll when no bus message arrives (a lost Redis message costs at most this long).
    event_poll_seconds: float = Field(1.0, alias="GATEHOUSE_EVENT_POLL_SECONDS")
    # How often a live subscription re-checks its credential (revoked key, deactivated member).
    subscription_recheck_seconds: float = Field(
        30.0, alias="GATEHOUSE_SUBSCRIPTION_RECHECK_SECONDS"
    )
    # A live subscriber this many events behind is disconnected with its resume cursor.
    subscription_max_lag: int = Field(10_000, alias="GATEHOUSE_SUBSCRIPTION_MAX_LAG")
    # Operations open at once on one websocket; more are refused (SECURITY 27a).
    subscriptions_per_connection: int = Field(
        20, alias="GATEHOUSE_SUBSCRIPTIONS_PER_CONNECTION", ge=1
    )
    # Origins allowed to open GraphQL websockets (clients sending no Origin always pass).
    # Browser origins that may call the API (CORS) and open websockets; exact origins.
    allowed_origins: list[str] = Field(default_factory=list, alias="GATEHOUSE_ALLOWED_ORIGINS")
    # A JSON manifest {sha256: document}: when set, only these documents run.
    trusted_documents: str | None = Field(None, alias="GATEHOUSE_TRUSTED_DOCUMENTS")
    run_worker: bool = Field(default=True, alias="GATEHOUSE_RUN_WORKER")
    allow_private_webhooks: bool = Field(default=False, alias="GATEHOUSE_ALLOW_PRIVATE_WEBHOOKS")
    # First retry delay; doubles per failed attempt (with jitter) up to an hour.
    webhook_retry_base_seconds: float = Field(5.0, alias="GATEHOUSE_WEBHOOK_RETRY_BASE_SECONDS")
    webhook_timeout_seconds: float = Field(10.0, alias="GATEHOUSE_WEBHOOK_TIMEOUT_SECONDS")
    # Standard Webhooks: both secrets sign during this overlap after a rotation.
    webhook_secret_overlap_hours: int = Field(24, alias="GATEHOUSE_WEBHOOK_SECRET_OVERLAP_HOURS")
    # Domain verification. Unset nameservers = the system resolver (/etc/resolv.conf).
    dns_nameservers: str | None = Field(None, alias="GATEHOUSE_DNS_NAMESERVERS")
    dns_timeout_seconds: float = Field(3.0, alias="GATEHOUSE_DNS_TIMEOUT_SECONDS")
    # The background re-check of PENDING domains; tests switch it off and drive it by hand.
    domain_rechecks_enabled: bool = Field(default=True, alias="GATEHOUSE_DOMAIN_RECHECKS")
    domain_recheck_interval_seconds: float = Field(
        30.0, alias="GATEHOUSE_DOMAIN_RECHECK_INTERVAL_SECONDS"
    )

    @property
    def dns_nameserver_list(self) -> list[str]:
        """`host:port,host` → ["host:port", "host"], as pycares takes them."""
        return [n.strip() for n in (self.dns_nameservers or "").split(",") if n.strip()]

    # Where SSO may send people back: exact matches only (comma-separated in the environment).
    redirect_uris: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="GATEHOUSE_REDIRECT_URIS"
    )
    # Tolerance for IdP clocks on SAML NotBefore/NotOnOrAfter and OIDC iat/exp.
    sso_clock_skew_seconds: int = Field(120, alias="GATEHOUSE_SSO_CLOCK_SKEW_SECONDS")
    sso_max_response_bytes: int = Field(256_000, alias="GATEHOUSE_SSO_MAX_RESPONSE_BYTES")
    # OIDC discovery, JWKS and token calls refuse private and loopback addresses unless allowed.
    sso_allow_private_urls: bool = Field(default=False, alias="GATEHOUSE_SSO_ALLOW_PRIVATE_URLS")
    # SSO upkeep (resolvers/sso/upkeep.py): purge expired sign-in state, re-read SAML metadata URLs.
    sso_upkeep_interval_seconds: float = Field(600.0, alias="GATEHOUSE_SSO_UPKEEP_SECONDS")
    saml_metadata_refresh_seconds: float = Field(
        86_400.0, alias="GATEHOUSE_SAML_METADATA_REFRESH_SECONDS"
    )
    # rotateDirectoryToken: how long the replaced SCIM token keeps working (default 7 days).
    directory_token_overlap_seconds: int = Field(
        604_800, alias="GATEHOUSE_DIRECTORY_TOKEN_OVERLAP_SECONDS", ge=0
    )
    # The request recorder (resolvers/recording/): the last N SCIM requests per directory and
    # sign-in attempts per connection (0: off). Secrets are always removed; other values are
    # masked (`a•••@contoso.com`) unless GATEHOUSE_RECORDER_MASK_VALUES=false.
    recorder_size: int = Field(500, alias="GATEHOUSE_RECORDER_SIZE", ge=0)
    recorder_mask_values: bool = Field(default=True, alias="GATEHOUSE_RECORDER_MASK_VALUES")

    @model_validator(mode="after")
    def _secret_key_present(self) -> Settings:
        if not self.secret_key:
            if self.is_production:
                raise ValueError("GATEHOUSE_SECRET_KEY must be set in production")
            self.secret_key = _development_secret_key()
        return self

    @field_validator("redirect_uris", mode="before")
    @classmethod
    def _split_uris(cls, value: object) -> object:
        if isinstance(value, str):
            return [u.strip() for u in value.split(",") if u.strip()]
        return value

    # Email. Unset SMTP URL: a console mailer logs messages (links only in development).
    # smtp://user:pass@host:587?starttls=required | smtps://user:pass@host:465
    smtp_url: str | None = Field(None, alias="GATEHOUSE_SMTP_URL")
    smtp_timeout_seconds: float = Field(10.0, alias="GATEHOUSE_SMTP_TIMEOUT")
    mail_from: str = Field("Gatehouse <no-reply@localhost>", alias="GATEHOUSE_MAIL_FROM")
    # The accept link in invitation emails; `{token}` is required, `{base_url}` optional.
    invite_url: str = Field("{base_url}/invitations/{token}", alias="GATEHOUSE_INVITE_URL")
    # Invitations created or resent per organization per rolling hour; 0 means no limit.
    invitations_per_hour: int = Field(100, alias="GATEHOUSE_INVITATIONS_PER_HOUR")
    # Seconds between retries of failed invitation emails (app background loop); 0 disables.
    invitation_retry_interval_seconds: float = Field(
        30.0, alias="GATEHOUSE_INVITATION_RETRY_INTERVAL"
    )

    @field_validator("invite_url")
    @classmethod
    def _invite_url_has_token(cls, value: str) -> str:
        if "{token}" not in value:
            raise ValueError("GATEHOUSE_INVITE_URL must contain {token}")
        return value

    @property
    def issuer(self) -> str:
        """The `iss` of access tokens and of the discovery document."""
        return self.base_url.rstrip("/")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def introspection_enabled(self) -> bool:
        if self.graphql_introspection is None:
            return not self.is_production
        return self.graphql_introspection

    @property
    def ide_enabled(self) -> bool:
        if self.graphql_ide is None:
            return not self.is_production
        return self.graphql_ide


DEV_SECRET_KEY_FILE = Path(".gatehouse-secret-key")


def _development_secret_key() -> str:
    """A random key kept beside the development database, created on first use (mode 0600)."""
    try:
        return DEV_SECRET_KEY_FILE.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(32)
        fd = os.open(DEV_SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

"""Runtime configuration, read once from the environment (and `.env`)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    # Signs sessions and encrypts secrets at rest. A random default keeps `make run` working,
    # but sessions then die with the process: production must set it.
    secret_key: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32), alias="GATEHOUSE_SECRET_KEY"
    )
    environment: Literal["development", "production"] = Field("development", alias="GATEHOUSE_ENV")
    max_body_bytes: int = Field(1_000_000, alias="GATEHOUSE_MAX_BODY_BYTES")
    graphql_max_depth: int = Field(12, alias="GATEHOUSE_GRAPHQL_MAX_DEPTH")
    graphql_max_aliases: int = Field(30, alias="GATEHOUSE_GRAPHQL_MAX_ALIASES")
    graphql_max_tokens: int = Field(3000, alias="GATEHOUSE_GRAPHQL_MAX_TOKENS")
    # None means "on in development, off in production".
    graphql_introspection: bool | None = Field(None, alias="GATEHOUSE_GRAPHQL_INTROSPECTION")
    graphql_ide: bool | None = Field(None, alias="GATEHOUSE_GRAPHQL_IDE")
    session_ttl_seconds: int = Field(8 * 3600, alias="GATEHOUSE_SESSION_TTL_SECONDS")
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

"""Database configuration, start-up and migrations (Tortoise's built-in migration engine)."""

from __future__ import annotations

import logging
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate as run_migrations

log = logging.getLogger(__name__)

MODELS_MODULE = "gatehouse.models"
MIGRATIONS_MODULE = "gatehouse.models.migrations"


def normalize_db_url(url: str) -> str:
    # Operators paste `postgresql://` from their provider; Tortoise names the scheme `postgres`.
    if url.startswith("postgresql://"):
        return "postgres://" + url.removeprefix("postgresql://")
    return url


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": normalize_db_url(database_url)},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(database_url: str) -> None:
    # The global fallback lets request tasks started by uvicorn see the connections that the
    # lifespan task opened (Tortoise 1.1 keeps its context per task otherwise).
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def migrate(database_url: str) -> None:
    """Apply every pending migration; a no-op on an up-to-date database."""
    await run_migrations(config=tortoise_config(database_url))


async def close_db() -> None:
    await Tortoise.close_connections()

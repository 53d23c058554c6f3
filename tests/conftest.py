"""Shared fixtures: one database per test run (SQLite, or PostgreSQL via TEST_DATABASE_URL),
migrated once, emptied after every test; the real app over httpx."""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from tortoise import Tortoise

from gatehouse.auth.principal import operator_principal
from gatehouse.resolvers import api_keys, organizations
from gatehouse.server.app import create_app
from gatehouse.server.db import close_db, init_db, migrate, normalize_db_url
from gatehouse.settings import Settings

# Shared real-server fixtures: DNS (domain and Admin Portal tests), SMTP (invitations, codes),
# an OpenID provider (SSO and policy tests).
pytest_plugins = ["tests.dns_fixture", "tests.smtp_fixture", "tests.oidc_fixture"]

# One server key for the whole run: every in-process app, worker and server subprocess must be
# able to decrypt what another encrypted, as every production process shares the key.
os.environ.setdefault("GATEHOUSE_SECRET_KEY", secrets.token_urlsafe(32))
TEST_SECRET_KEY = os.environ["GATEHOUSE_SECRET_KEY"]


def _pg_admin_dsn(url: str, database: str) -> str:
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite://{Path(tmp) / 'test.db'}"
        return
    name = f"gatehouse_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(_pg_admin_dsn(base, "postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield normalize_db_url(_pg_admin_dsn(base, name).replace("postgresql://", "postgres://"))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[str]:
    await migrate(database_url)
    await init_db(database_url)
    yield database_url
    await close_db()


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "db" not in request.fixturenames:
        return
    conn = Tortoise.get_connection("default")
    tables = [m._meta.db_table for m in Tortoise.apps["models"].values()]
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(f"TRUNCATE {', '.join(tables)} CASCADE")
    else:
        # Foreign keys off for the sweep, so the order of deletes does not matter.
        await conn.execute_script(
            "PRAGMA foreign_keys=OFF;"
            + "".join(f"DELETE FROM {t};" for t in tables)
            + "PRAGMA foreign_keys=ON;"
        )


@pytest.fixture
def settings(db: str) -> Settings:
    return Settings(DATABASE_URL=db, GATEHOUSE_SECRET_KEY=TEST_SECRET_KEY)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, manage_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


GqlCall = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GqlCall:
    """POST a GraphQL operation; returns the decoded body (status 200 asserted)."""

    async def call(
        query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    return call


@pytest.fixture
async def operator_token(db: str) -> str:
    _, secret = await api_keys.create_api_key(operator_principal(), "test operator")
    return secret


@pytest.fixture
def make_org(db: str) -> Callable[..., Awaitable[Any]]:
    async def make(name: str = "Acme") -> Any:
        return await organizations.create_organization(
            operator_principal(), organizations.NewOrganization(name)
        )

    return make


class QueryCounter(logging.Handler):
    """Counts SQL statements Tortoise sends (its db_client logger sees each one)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count = 0
        self.statements: list[str] = []  # the SQL only, to say which statement was added

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        sql = record.args[0] if isinstance(record.args, tuple) and record.args else record.msg
        self.statements.append(str(sql))


@pytest.fixture
def count_queries() -> Callable[[], Any]:
    from contextlib import contextmanager

    @contextmanager
    def counting() -> Any:
        logger = logging.getLogger("tortoise.db_client")
        handler = QueryCounter()
        old_level = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        try:
            yield handler
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)

    return counting

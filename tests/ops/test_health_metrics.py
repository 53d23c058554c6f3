"""/healthz, /readyz (database, Redis, migrations) and /metrics in the Prometheus format."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from gatehouse.events import record_event
from gatehouse.events.bus import LocalBus
from gatehouse.events.hub import Hub
from gatehouse.events.lag import event_lag
from gatehouse.events.sequencer import sequence_pending
from gatehouse.models import TargetState, WebhookEndpoint
from gatehouse.server import health
from gatehouse.server.app import create_app
from gatehouse.settings import Settings


def _client(settings: Settings) -> httpx.AsyncClient:
    app = create_app(settings, manage_db=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_ready_when_database_answers_and_migrations_applied(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_unready_while_a_migration_is_pending(client, monkeypatch):
    monkeypatch.setattr(health, "expected_migrations", lambda: {"0001_initial", "9999_future"})
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "migrations_pending"}


async def test_unready_when_configured_redis_is_down_unless_not_required(db):
    down = {"DATABASE_URL": db, "REDIS_URL": "redis://127.0.0.1:1/0"}
    async with _client(Settings(**down)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "unreachable"}
    async with _client(Settings(**down, GATEHOUSE_READYZ_REQUIRES_REDIS=False)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == "unreachable"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_routes_and_graphql_operations(client, operator_token):
    # Given a named query, an anonymous one, a forbidden call and a readiness probe
    headers = {"Authorization": f"Bearer {operator_token}"}
    before = _samples((await client.get("/metrics")).text)
    await client.post(
        "/graphql", json={"query": "query ViewerOp { viewer { kind } }"}, headers=headers
    )
    await client.post("/graphql", json={"query": "{ viewer { kind } }"}, headers=headers)
    await client.post("/graphql", json={"query": "query Denied { viewer { kind } }"})
    await client.get("/readyz")

    # When scraped
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = _samples(response.text)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    # Then requests by route and operations by name are counted, errors by code
    assert (
        delta("gatehouse_http_requests_total", method="POST", route="/graphql", status="200") == 3
    )
    assert delta("gatehouse_http_requests_total", method="GET", route="/readyz", status="200") == 1
    assert (
        delta(
            "gatehouse_graphql_operations_total", operation="ViewerOp", type="query", outcome="ok"
        )
        == 1
    )
    assert (
        delta(
            "gatehouse_graphql_operations_total", operation="anonymous", type="query", outcome="ok"
        )
        == 1
    )
    assert (
        delta(
            "gatehouse_graphql_operations_total", operation="Denied", type="query", outcome="error"
        )
        == 1
    )
    assert delta("gatehouse_graphql_errors_total", code="UNAUTHENTICATED") == 1
    assert (
        delta(
            "gatehouse_graphql_operation_duration_seconds_count", operation="ViewerOp", type="query"
        )
        == 1
    )
    # And the collectors other areas increment are exported already
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {
        "gatehouse_scim_operations",
        "gatehouse_sso_outcomes",
        "gatehouse_webhook_failures",
        "gatehouse_active_subscriptions",
        "gatehouse_event_lag_events",
        "gatehouse_errors",
        "gatehouse_rate_limited",
    } <= names


async def test_unknown_paths_are_one_label_not_one_per_path(client):
    for i in range(3):
        await client.get(f"/nope/{i}")
    text = (await client.get("/metrics")).text
    assert 'route="unmatched"' in text
    assert "/nope/1" not in text


async def test_event_lag_per_consumer(client):
    # given an enabled webhook endpoint at position 0, a disabled one, and a log stream
    # that has caught up, then three sequenced events and one not yet sequenced
    def lag(text: str) -> dict[str, float]:
        return {
            s.labels["consumer"]: s.value
            for family in text_string_to_metric_families(text)
            if family.name == "gatehouse_event_lag_events"
            for s in family.samples
        }

    for i in range(3):
        await record_event("test.lag", None, {"i": i})
    head = await sequence_pending()
    await record_event("test.lag", None, {"i": 3})
    await WebhookEndpoint.create(
        id="whe_behind", url="https://example.com/a", secret="x", event_types=[], cursor=0
    )
    await WebhookEndpoint.create(
        id="whe_off",
        url="https://example.com/b",
        secret="x",
        event_types=[],
        cursor=0,
        state=TargetState.DISABLED,
    )

    # then each consumer kind reports how far behind the head it is; this app's hub has read
    # nothing, but with no subscriber nothing of it lags (a hub nobody reads stops following)
    first = lag((await client.get("/metrics")).text)
    assert first == {"sequencer": 1, "webhooks": head, "log_streams": 0, "subscriptions": 0}
    # a hub with a subscriber that has read nothing lags by the whole outbox
    hub = Hub(LocalBus(), poll_seconds=1.0)
    hub.reader_joined()
    assert (await event_lag(hub))["subscriptions"] == head

    # and catching up brings it to zero
    await sequence_pending()
    await WebhookEndpoint.filter(id="whe_behind").update(cursor=head + 1)
    second = lag((await client.get("/metrics")).text)
    assert (second["sequencer"], second["webhooks"]) == (0, 0)

"""Prometheus collectors, in one place so every area can import and increment them.

This module imports nothing from Gatehouse, so any layer (scim/, auth/, events/) may use it.
Each process keeps its own registry and serves it at `GET /metrics`: scrape every process
(every replica and worker) separately; Prometheus sums them (no multiprocess mode needed,
because `gatehouse serve` runs one process per port).

Label values are bounded sets (route templates, not raw paths; operation names capped),
so a client cannot grow the series count without limit.
"""

from __future__ import annotations

import re

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# --- HTTP, every route --------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "gatehouse_http_requests_total",
    "HTTP requests by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "gatehouse_http_request_duration_seconds",
    "HTTP request latency by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)

# --- GraphQL, by operation ----------------------------------------------------------------
GRAPHQL_OPERATIONS = Counter(
    "gatehouse_graphql_operations_total",
    "GraphQL operations by operation name, type and outcome (ok or error).",
    ["operation", "type", "outcome"],
)
GRAPHQL_LATENCY = Histogram(
    "gatehouse_graphql_operation_duration_seconds",
    "GraphQL operation latency by operation name and type.",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
GRAPHQL_ERRORS = Counter(
    "gatehouse_graphql_errors_total",
    "GraphQL errors by extensions.code (INTERNAL, UNAVAILABLE, FORBIDDEN, ...).",
    ["code"],
)

# --- Failures and protection --------------------------------------------------------------
ERRORS = Counter(
    "gatehouse_errors_total",
    "Failed requests by kind: internal (500), database_unavailable (503).",
    ["kind"],
)
RATE_LIMITED = Counter(
    "gatehouse_rate_limited_total",
    "Requests refused by the rate limiter, by bucket kind (key, session, ip, directory...).",
    ["kind"],
)
RATE_LIMITER_ERRORS = Counter(
    "gatehouse_rate_limiter_errors_total",
    "Rate limiter backend failures (Redis unreachable): the request was let through.",
)

# --- Ready for the other areas (Directory Sync, SSO, Events) ------------------------------
SCIM_OPERATIONS = Counter(
    "gatehouse_scim_operations_total",
    "SCIM operations by resource (Users, Groups), method and HTTP status.",
    ["resource", "method", "status"],
)
SSO_OUTCOMES = Counter(
    "gatehouse_sso_outcomes_total",
    "SSO sign-in attempts by protocol (saml, oidc) and outcome (succeeded, failed).",
    ["protocol", "outcome"],
)
WEBHOOK_FAILURES = Counter(
    "gatehouse_webhook_failures_total",
    "Failed webhook or log stream delivery attempts, by reason (timeout, status_5xx, ...).",
    ["reason"],
)
ACTIVE_SUBSCRIPTIONS = Gauge(
    "gatehouse_active_subscriptions",
    "GraphQL subscriptions currently open in this process.",
)
EVENT_LAG = Gauge(
    "gatehouse_event_lag_events",
    "Events in the outbox not yet delivered, per consumer (newest outbox position minus "
    "the consumer's delivered position).",
    ["consumer"],
)

# Operation names come from clients: keep the label set bounded.
MAX_OPERATION_NAMES = 200
_OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_seen_operations: set[str] = set()


def operation_label(name: str | None) -> str:
    """The label for a client-given operation name: `anonymous`, the name, or `other`."""
    if not name:
        return "anonymous"
    if not _OPERATION_NAME.fullmatch(name):
        return "other"
    if name not in _seen_operations:
        if len(_seen_operations) >= MAX_OPERATION_NAMES:
            return "other"
        _seen_operations.add(name)
    return name


def exposition() -> tuple[bytes, str]:
    """The Prometheus text format for this process's registry, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST

"""What each destination receives for a batch of events."""

from __future__ import annotations

import json
from typing import Any

from gatehouse.models import Event, LogStreamType


def payload(event: Event) -> dict[str, Any]:
    """One event as every destination sees it: its id and per-organization sequence number
    let receivers deduplicate (delivery is at least once) and order."""
    return {
        "id": event.id,
        "type": event.type,
        "organization_id": event.organization_id,
        "sequence": event.organization_sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "data": event.data,
        # Added beside the existing keys (a receiver that ignores unknown keys reads on):
        # who acted ({kind, id}) and, for requests, from where.
        "actor": event.actor,
        "context": event.context,
    }


def webhook_body(event: Event) -> bytes:
    return json.dumps(payload(event), separators=(",", ":")).encode()


def log_stream_request(
    type_: LogStreamType, token: str | None, events: list[dict[str, Any]]
) -> tuple[bytes, dict[str, str]]:
    if type_ is LogStreamType.DATADOG:
        # Datadog logs intake (v2 /api/v2/logs): a JSON array, the key in DD-API-KEY.
        items = [
            {
                "ddsource": "gatehouse",
                "service": "gatehouse",
                "ddtags": f"event_type:{e['type']},organization:{e['organization_id']}",
                "message": json.dumps(e, separators=(",", ":")),
            }
            for e in events
        ]
        headers = {"content-type": "application/json", "dd-api-key": token or ""}
        return json.dumps(items).encode(), headers
    if type_ is LogStreamType.SPLUNK_HEC:
        # Splunk HTTP Event Collector: concatenated event objects, `Authorization: Splunk <t>`.
        body = "\n".join(
            json.dumps({"source": "gatehouse", "sourcetype": "_json", "event": e}) for e in events
        )
        return body.encode(), {
            "content-type": "application/json",
            "authorization": f"Splunk {token or ''}",
        }
    body = "\n".join(json.dumps(e, separators=(",", ":")) for e in events) + "\n"
    headers = {"content-type": "application/x-ndjson"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return body.encode(), headers

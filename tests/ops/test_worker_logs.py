"""Acceptance: `gatehouse worker` logs as `serve` does: one JSON object per line in production,
with the same redaction, so a webhook URL's `?token=…` appears only as `token=[REDACTED]`."""

from __future__ import annotations

import json
import os

from gatehouse.events import record_event
from gatehouse.models import Delivery
from tests.events.conftest import Receiver, endpoint_to, eventually, receiver  # noqa: F401
from tests.ops.procs import Worker

TOKEN = "hook-credential-5b1f0c9e7d"


async def test_worker_logs_json_in_production_with_webhook_tokens_redacted(
    db,
    tmp_path,
    receiver: Receiver,  # noqa: F811
):
    # given an endpoint whose URL carries a credential in its query string, and an event due
    endpoint = await endpoint_to(f"{receiver.url}?token={TOKEN}", ["test.logs"])
    await record_event("test.logs", None, {"n": 1})
    worker = Worker(
        db,
        tmp_path,
        "worker",
        env={
            "GATEHOUSE_ENV": "production",
            "GATEHOUSE_SECRET_KEY": os.environ["GATEHOUSE_SECRET_KEY"],
            "GATEHOUSE_ALLOW_PRIVATE_WEBHOOKS": "true",
            "GATEHOUSE_EVENT_POLL_SECONDS": "0.2",
        },
    )
    try:
        # when the worker delivers it
        worker.wait_running()

        async def delivered() -> bool:
            return await Delivery.filter(target_id=endpoint.id, succeeded=True).exists()

        await eventually(delivered, timeout=60)
    finally:
        worker.stop()

    # then every line it logged is a JSON object, and the token shows only redacted
    logs = worker.logs()
    lines = [line for line in logs.splitlines() if line.strip()]
    assert lines, "the worker logged nothing"
    entries = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    assert TOKEN not in logs + worker.output()
    assert any("token=[REDACTED]" in entry["message"] for entry in entries), logs

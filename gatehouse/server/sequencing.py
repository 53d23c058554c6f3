"""After every HTTP request that wrote events, nudge the event sequencer.

A request's transaction has committed by the time its handler returns, so this is the
earliest moment its events can be sequenced; the sequencer's poll covers everything else
(background jobs, other processes). Requests that wrote no event (most: reads) leave the
sequencer alone, so it does not run a locking transaction for nothing after each of them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gatehouse.events.runtime import EventRuntime
from gatehouse.models.event import stop_watching, watch_event_inserts


class SequenceAfterResponseMiddleware:
    def __init__(self, app: ASGIApp, runtime: EventRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watch, token = watch_event_inserts()
        try:
            await self.app(scope, receive, send)
        finally:
            stop_watching(token)
            if watch.inserted:
                self.runtime.kick()

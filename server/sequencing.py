"""After every HTTP request, nudge the event sequencer.

A request's transaction has committed by the time its handler returns, so this is the
earliest moment its events can be sequenced; the sequencer's poll covers everything else
(background jobs, other processes).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gatehouse.events.runtime import EventRuntime


class SequenceAfterResponseMiddleware:
    def __init__(self, app: ASGIApp, runtime: EventRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.runtime.kick()

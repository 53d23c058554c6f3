"""uvicorn's server, with one step added to its shutdown for live subscriptions."""

from __future__ import annotations

import socket

import uvicorn


class GracefulServer(uvicorn.Server):
    """On SIGTERM uvicorn stops accepting, then closes open websockets with 1012 at once and
    waits for in-flight HTTP requests. Before that, end the event subscriptions, so each client
    is told its resume cursor (`SERVER_SHUTTING_DOWN`) and reconnects to another process
    without missing or repeating an event."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Stop listening first, so the clients told to reconnect reach another process.
        for server in self.servers:
            server.close()
        close = getattr(getattr(self.config.app, "state", None), "close_subscriptions", None)
        try:
            if close is not None:
                await close()
        finally:
            await super().shutdown(sockets)

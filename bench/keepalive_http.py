"""A minimal HTTP/1.1 keep-alive client for benches' measured requests.

A bench's client shares the two cores with the server it measures. httpx spent ~1 ms of CPU
per request, a fifth of the whole budget; this spends a fraction of that."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 60


class Http:
    """Kept-alive connections per host, reused by later requests; JSON bodies."""

    def __init__(self) -> None:
        self._idle: dict[str, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = (
            defaultdict(list)
        )

    async def request(
        self, method: str, url: str, body: dict, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        payload = json.dumps(body).encode()
        head = "".join(
            [
                f"{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\n",
                f"Content-Length: {len(payload)}\r\n",
                *(f"{k}: {v}\r\n" for k, v in headers.items()),
                "\r\n",
            ]
        ).encode()
        idle = self._idle[f"{host}:{port}"]
        if idle:
            conn = idle.pop()
            try:
                return await self._exchange(conn, head + payload, idle)
            except (ConnectionError, asyncio.IncompleteReadError):
                conn[1].close()  # the server closed an idle connection: retry on a new one
        conn = await asyncio.open_connection(host, port)
        return await self._exchange(conn, head + payload, idle)

    async def _exchange(
        self,
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        data: bytes,
        idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]],
    ) -> tuple[int, bytes]:
        reader, writer = conn
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):  # a hung server fails the bench
                writer.write(data)
                status = int((await reader.readuntil(b"\r\n")).split()[1])
                length, chunked, close = 0, False, False
                while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                    name, _, value = line.decode("latin-1").partition(":")
                    name, value = name.strip().lower(), value.strip().lower()
                    if name == "content-length":
                        length = int(value)
                    elif name == "transfer-encoding":
                        chunked = "chunked" in value
                    elif name == "connection":
                        close = value == "close"
                content = await (_read_chunked(reader) if chunked else reader.readexactly(length))
        except BaseException:
            writer.close()
            raise
        if close:
            writer.close()
        else:
            idle.append(conn)
        return status, content

    def close(self) -> None:
        for idle in self._idle.values():
            for _, writer in idle:
                writer.close()
        self._idle.clear()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
        pass
    return b"".join(chunks)

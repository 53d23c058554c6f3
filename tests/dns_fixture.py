"""A real DNS server on 127.0.0.1 (dnslib, UDP and TCP, ephemeral port) that serves the TXT
records a test publishes. A pytest plugin (tests/conftest.py loads it) shared by the domain
tests and the Admin Portal's browser tests; moved here from tests/domains/conftest.py."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from dnslib import QTYPE, RCODE, RR, TXT, DNSError, DNSHeader, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer


class Zone(BaseResolver):
    """Answers from what tests publish: TXT values, SERVFAIL, silence; NXDOMAIN otherwise."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.txt: dict[str, list[list[bytes]]] = {}
        self.servfail: set[str] = set()
        self.silent: set[str] = set()
        self.queries: list[str] = []
        self.tcp_queries: list[str] = []

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        name = str(request.q.qname).rstrip(".").lower()
        reply = request.reply()
        with self.lock:
            self.queries.append(name)
            if handler.protocol == "tcp":
                self.tcp_queries.append(name)
            if name in self.silent:
                # dnslib's handler logs a DNSError and sends nothing: the client times out.
                raise DNSError("silent")
            if name in self.servfail:
                reply.header.rcode = RCODE.SERVFAIL
                return reply
            records = self.txt.get(name)
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for strings in records:  # an empty list: the name exists with no TXT (NODATA)
            reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(strings), ttl=0))
        return reply


class ClassicHandler(DNSHandler):
    """Truncates UDP answers above 512 octets (RFC 1035 §4.2.1, no EDNS) so big answers go
    over TCP. dnslib's own truncation drops the question section, which c-ares rejects."""

    def get_reply(self, data: bytes) -> bytes:
        if self.protocol != "udp":
            return super().get_reply(data)
        request = DNSRecord.parse(data)
        reply = self.server.resolver.resolve(request, self)
        packed = reply.pack()
        if len(packed) <= 512:
            return packed
        header = DNSHeader(id=reply.header.id, bitmap=reply.header.bitmap, tc=1)
        return DNSRecord(header, q=request.q).pack()


class QuietLogger(DNSLogger):
    def __init__(self) -> None:
        super().__init__(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)


class FakeDns:
    def __init__(self, zone: Zone, port: int) -> None:
        self.zone = zone
        self.port = port

    def publish(self, name: str, *values: str | list[str]) -> None:
        """Each value is one TXT record; a list is one record split into several strings."""
        records = [
            [v.encode() for v in value] if isinstance(value, list) else [value.encode()]
            for value in values
        ]
        with self.zone.lock:
            self.zone.txt.setdefault(name.lower(), []).extend(records)

    def exists_without_txt(self, name: str) -> None:
        with self.zone.lock:
            self.zone.txt[name.lower()] = []

    def servfail(self, name: str) -> None:
        with self.zone.lock:
            self.zone.servfail.add(name.lower())

    def silence(self, name: str) -> None:
        with self.zone.lock:
            self.zone.silent.add(name.lower())

    def clear(self) -> None:
        with self.zone.lock:
            self.zone.txt.clear()
            self.zone.servfail.clear()
            self.zone.silent.clear()
            self.zone.queries.clear()
            self.zone.tcp_queries.clear()


def _start_servers(zone: Zone) -> tuple[DNSServer, DNSServer]:
    """UDP on an ephemeral port, TCP on the same number (retry if that one is taken)."""
    for _ in range(20):
        udp = DNSServer(
            zone, address="127.0.0.1", port=0, logger=QuietLogger(), handler=ClassicHandler
        )
        port = udp.server.server_address[1]
        try:
            tcp = DNSServer(zone, address="127.0.0.1", port=port, tcp=True, logger=QuietLogger())
        except OSError:
            udp.server.server_close()
            continue
        return udp, tcp
    raise RuntimeError("no free port pair for the DNS server")


@pytest.fixture(scope="session")
def dns_server() -> Iterator[FakeDns]:
    zone = Zone()
    udp, tcp = _start_servers(zone)
    udp.start_thread()
    tcp.start_thread()
    yield FakeDns(zone, udp.server.server_address[1])
    for server in (udp, tcp):
        server.stop()
        server.server.server_close()


@pytest.fixture
def dead_nameserver() -> Iterator[str]:
    """A UDP and TCP address that never answers (bound, never read or accepted)."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        tcp.bind(("127.0.0.1", port))
        tcp.listen()
    except OSError:
        pass  # UDP alone is what c-ares asks first
    yield f"127.0.0.1:{port}"
    udp.close()
    tcp.close()


@pytest.fixture
def dns(dns_server: FakeDns) -> Iterator[FakeDns]:
    yield dns_server
    dns_server.clear()

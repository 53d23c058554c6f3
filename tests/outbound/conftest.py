"""Real servers for the outbound guard: HTTP(S) listeners on loopback addresses that record
which address each connection reached, with what SNI and Host; a test CA the clients trust
through SSL_CERT_FILE (which httpx honours); and a stand-in for DNS.

Outbound names are resolved by the system resolver (getaddrinfo), which cannot be pointed at a
test DNS server on a spare port. `socket.getaddrinfo` is the one place names become addresses
for both Gatehouse's guard and httpx's own connect, so the stand-in answers there, for the test
names only; everything else (sockets, TLS, HTTP) is real.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_NAMES = ("hooks.test", "rebind.test")


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A CA and a server certificate for CERT_NAMES only (no IP address in it)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Gatehouse test CA"))
        .issuer_name(_name("Gatehouse test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(CERT_NAMES[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in CERT_NAMES]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    files = TlsFiles(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.fixture
def trust_test_ca(tls_files: TlsFiles, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients created from now on trust the test CA instead of the public ones."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca))


class Dns:
    """Answers for test names, in turn: each query takes the next answer, the last repeats."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.queries: list[str] = []

    def answer(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)

    def count(self, name: str) -> int:
        return self.queries.count(name)

    def getaddrinfo(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def lookup(
            host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
        ) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.answers:
                return real(host, port, family, type, proto, flags)
            self.queries.append(name)
            turns = self.answers[name]
            addresses = turns.pop(0) if len(turns) > 1 else turns[0]
            results = []
            for text in addresses:
                ip = ipaddress.ip_address(text)
                fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
                if family not in (0, fam):
                    continue
                sockaddr = (
                    (text, int(port or 0), 0, 0) if ip.version == 6 else (text, int(port or 0))
                )
                results.append((fam, type or socket.SOCK_STREAM, proto or 6, "", sockaddr))
            if not results:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return results

        return lookup


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Dns:
    stand_in = Dns()
    monkeypatch.setattr(socket, "getaddrinfo", stand_in.getaddrinfo(socket.getaddrinfo))
    return stand_in


@dataclass(frozen=True)
class Seen:
    address: str  # the local address the connection reached
    sni: str | None
    host: str | None  # the Host header
    request_line: str


@dataclass
class Listeners:
    """HTTP/1.1 servers (keep-alive honoured) on one port at several loopback addresses."""

    tls: TlsFiles | None
    port: int = 0
    seen: list[Seen] = field(default_factory=list)
    handshakes: list[str | None] = field(default_factory=list)  # SNI of every TLS hello
    servers: list[asyncio.Server] = field(default_factory=list)

    def _context(self) -> ssl.SSLContext | None:
        if self.tls is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls.cert, self.tls.key)
        context.sni_callback = lambda obj, name, _: self._hello(obj, name)
        return context

    def _hello(self, obj: Any, name: str | None) -> None:
        self.handshakes.append(name)
        obj.test_sni = name

    async def start(self, *addresses: str) -> None:
        """Binds every address on one port (a fresh port until all of them have it free)."""
        for _ in range(20):
            first = await asyncio.start_server(self._serve, addresses[0], 0, ssl=self._context())
            self.port = first.sockets[0].getsockname()[1]
            self.servers = [first]
            try:
                for address in addresses[1:]:
                    self.servers.append(
                        await asyncio.start_server(
                            self._serve, address, self.port, ssl=self._context()
                        )
                    )
            except OSError:
                await self.stop()
            else:
                return
        raise RuntimeError("no port free on every address")

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
            await server.wait_closed()
        self.servers = []

    def at(self, address: str) -> list[Seen]:
        return [s for s in self.seen if s.address == address]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = writer.get_extra_info("sockname")[0]
        tls = writer.get_extra_info("ssl_object")
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (line.split(":", 1) for line in head[1:] if line)
                }
                await reader.readexactly(int(headers.get("content-length", "0")))
                self.seen.append(
                    Seen(address, getattr(tls, "test_sni", None), headers.get("host"), head[0])
                )
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: 2\r\n\r\n{}"
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        writer.close()


@pytest.fixture
async def https_listeners(tls_files: TlsFiles) -> AsyncIterator[Listeners]:
    listeners = Listeners(tls_files)
    yield listeners
    await listeners.stop()


@pytest.fixture
async def http_listeners() -> AsyncIterator[Listeners]:
    listeners = Listeners(None)
    yield listeners
    await listeners.stop()


@pytest.fixture
def ipv6_loopback() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")

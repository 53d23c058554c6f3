"""SMTP delivery with aiosmtplib, configured by one URL.

`smtp://user:pass@host:587` uses STARTTLS when the server offers it (aiosmtplib's default);
`?starttls=required` refuses to send without it and `?starttls=off` never upgrades.
`smtps://…:465` is implicit TLS (RFC 8314 §3.3). `?verify=false` accepts self-signed
certificates (a test relay, never a production one).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from gatehouse.mail.base import MailError

_TRUE = {"1", "true", "yes", "on", "required"}
_FALSE = {"0", "false", "no", "off", "never"}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = None  # None: upgrade when offered
    validate_certs: bool = True
    timeout: float = 10.0


def _flag(values: dict[str, list[str]], name: str) -> bool | None:
    raw = (values.get(name) or [""])[-1].strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    if raw in {"", "auto", "opportunistic"}:
        return None
    raise ValueError(f"GATEHOUSE_SMTP_URL: unknown value for {name}: {raw!r}")


def parse_smtp_url(url: str, timeout: float = 10.0) -> SmtpConfig:
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("GATEHOUSE_SMTP_URL must look like smtp://host:port or smtps://host:port")
    implicit_tls = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    start_tls = None if implicit_tls else _flag(query, "starttls")
    verify = _flag(query, "verify")
    return SmtpConfig(
        hostname=parts.hostname,
        port=parts.port or (465 if implicit_tls else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=implicit_tls,
        start_tls=start_tls,
        validate_certs=verify is not False,
        timeout=timeout,
    )


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, message: EmailMessage) -> None:
        c = self.config
        try:
            # One connection per message: invitations are rare, and a pooled connection
            # would need keep-alive handling for servers that drop idle clients.
            await aiosmtplib.send(
                message,
                hostname=c.hostname,
                port=c.port,
                username=c.username,
                password=c.password,
                use_tls=c.use_tls,
                start_tls=c.start_tls,
                validate_certs=c.validate_certs,
                timeout=c.timeout,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
            # The text names the server's answer or the socket error; it never holds the
            # message body (where the secret link is) or the password.
            raise MailError(f"SMTP {c.hostname}:{c.port}: {e}"[:480]) from e

"""Choosing the mailer from settings."""

from __future__ import annotations

from gatehouse.mail.base import Mailer
from gatehouse.mail.console import ConsoleMailer
from gatehouse.mail.smtp import SmtpMailer, parse_smtp_url
from gatehouse.settings import Settings


def mailer_from_settings(settings: Settings) -> Mailer:
    if settings.smtp_url:
        return SmtpMailer(parse_smtp_url(settings.smtp_url, settings.smtp_timeout_seconds))
    return ConsoleMailer(development=not settings.is_production)

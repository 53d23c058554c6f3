"""Outgoing email: one `Mailer` interface, SMTP (aiosmtplib) or a console mailer, and messages.

A package of its own, not part of `auth/`: mail is infrastructure that resolvers use after a
commit (like `events/`), and other areas (domain notices, portal links) can send through it.
"""

from gatehouse.mail.base import Mailer, MailError
from gatehouse.mail.console import ConsoleMailer
from gatehouse.mail.factory import mailer_from_settings
from gatehouse.mail.invitation import InvitationMail, render_invitation
from gatehouse.mail.smtp import SmtpConfig, SmtpMailer, parse_smtp_url

__all__ = [
    "ConsoleMailer",
    "InvitationMail",
    "MailError",
    "Mailer",
    "SmtpConfig",
    "SmtpMailer",
    "mailer_from_settings",
    "parse_smtp_url",
    "render_invitation",
]

"""The invitation email: a plain-text and an HTML part with the same facts and link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from gatehouse.mail.templating import templates

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True, slots=True)
class InvitationMail:
    to: str
    organization_name: str
    inviter_name: str | None
    role_name: str
    expires_at: datetime
    accept_url: str


def _header_text(value: str) -> str:
    # A newline in an organization name must not become a new header (header injection).
    return _CONTROL.sub(" ", value).strip()


def render_invitation(mail: InvitationMail, sender: str) -> EmailMessage:
    context = {
        "organization": mail.organization_name,
        "inviter": mail.inviter_name,
        "role": mail.role_name,
        "expires": mail.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        "accept_url": mail.accept_url,
    }
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = _header_text(f"You're invited to join {mail.organization_name}")
    message["Date"] = format_datetime(datetime.now().astimezone())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(templates.get_template("invitation.txt").render(context))
    message.add_alternative(
        templates.get_template("invitation.html").render(context), subtype="html"
    )
    return message

"""The sign-in code email: the 6-digit code, and a link to the page where it can be typed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from gatehouse.mail.templating import templates


@dataclass(frozen=True, slots=True)
class SignInCodeMail:
    to: str
    code: str
    page_url: str
    minutes: int


def render_sign_in_code(mail: SignInCodeMail, sender: str) -> EmailMessage:
    context = {"code": mail.code, "page_url": mail.page_url, "minutes": mail.minutes}
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    # The code is not in the subject: lock screens and mail lists show subjects.
    message["Subject"] = "Your sign-in code"
    message["Date"] = format_datetime(datetime.now().astimezone())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(templates.get_template("sign_in_code.txt").render(context))
    message.add_alternative(
        templates.get_template("sign_in_code.html").render(context), subtype="html"
    )
    return message

"""The mailer used when no SMTP server is configured.

The body of an invitation holds its accept link, and the link holds the token: in
development the console mailer logs the body so `make run` works without a mail server; in
production it logs only who and what, then reports the message as not delivered (so the
invitation shows the problem and a retry follows once SMTP is configured).
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from gatehouse.mail.base import MailError

log = logging.getLogger("gatehouse.mail")


class ConsoleMailer:
    def __init__(self, *, development: bool) -> None:
        self.development = development

    async def send(self, message: EmailMessage) -> None:
        if not self.development:
            log.warning(
                "email to %s (%s) not sent: set GATEHOUSE_SMTP_URL; the body holds a secret "
                "link and is not logged in production",
                message["To"],
                message["Subject"],
            )
            raise MailError("No mail server configured (GATEHOUSE_SMTP_URL is not set).")
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        log.info(
            "development console mail (contains secret links; never used in production)\n"
            "To: %s\nSubject: %s\n\n%s",
            message["To"],
            message["Subject"],
            text,
        )

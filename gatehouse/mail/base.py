"""The contract every mailer implements."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class MailError(Exception):
    """The message was not handed to a mail server. The text is safe to store and show."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Deliver the message or raise `MailError`; never raise anything else."""
        ...

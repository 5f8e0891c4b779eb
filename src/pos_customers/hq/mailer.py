"""How headquarters sends mail: through an SMTP server, or (the default) into .eml files."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import platformdirs


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass
class FileMailer:
    """Writes each message as an .eml file (open it with any mail program)."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        from ..paths import private_dir, write_private

        private_dir(self.folder)  # password links: 0700, each message 0600
        write_private(self.folder / f"{uuid.uuid4()}.eml", bytes(message))


@dataclass
class SmtpMailer:
    host: str
    port: int = 25
    starttls: bool = False
    user: str = ""
    password: str = ""
    timeout: float = 10.0

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def default_mail_folder() -> Path:
    return Path(platformdirs.user_data_dir("pos-customers", appauthor=False)) / "mail"


def mailer_from(smtp: str | None, *, folder: Path | None = None, starttls: bool = False, user: str = "",
                password: str = "") -> Mailer:
    """``host[:port]`` for SMTP; nothing for .eml files in ``folder`` (default: the user data folder)."""
    if not smtp:
        return FileMailer(folder or default_mail_folder())
    host, _, port = smtp.partition(":")
    return SmtpMailer(host, int(port or 25), starttls=starttls, user=user, password=password)

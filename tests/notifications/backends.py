"""Email backends standing in for providers in tests (used through a patched chain)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class ProviderDown(ConnectionError):
    pass


class BrokenBackend(BaseEmailBackend):
    """A provider that is down: every send raises."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise ProviderDown("connection refused by provider")


class RecordingBackend(BaseEmailBackend):
    """Accepts everything, slowly, recording each send (thread-safe) for concurrency tests."""

    sent: list[tuple[str, str]] = []
    lock = threading.Lock()
    delay = 0.0

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            time.sleep(self.delay)
            with self.lock:
                self.sent.append((message.to[0], message.subject))
        return len(email_messages)

    @classmethod
    def reset(cls, **attrs: Any) -> None:
        cls.sent = []
        for name, value in attrs.items():
            setattr(cls, name, value)

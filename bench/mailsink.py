"""A real SMTP server on loopback that receives the desk's mails during a run and counts them.

The worker delivers over a real SMTP conversation, as in production; the sink keeps only counts,
so a long run does not hold every mail in memory.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


class _Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages = 0
        self.recipients = 0
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.messages += 1
            self.recipients += len(envelope.rcpt_tos)
            self.bytes += len(envelope.content or b"")
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailSink:
    """``with MailSink() as sink:`` serves SMTP on ``sink.url`` until the block ends."""

    def __init__(self) -> None:
        self.port = free_port()
        self.counter = _Counter()
        self._controller = Controller(self.counter, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def received(self) -> dict[str, int]:
        with self.counter.lock:
            return {
                "messages": self.counter.messages,
                "recipients": self.counter.recipients,
                "bytes": self.counter.bytes,
            }

    def __enter__(self) -> MailSink:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()

"""PostgreSQL result types read by psycopg's compiled loaders where Django's would parse in Python.

Django reads every ``timestamptz`` through its own loader (``BaseTzLoader``), a subclass of
psycopg's pure-Python one: it parses the text in Python, then puts Django's time zone on the
result. That costs about 3 µs a value, and a queue page reads some 400 of them (the tickets'
dates and their SLA due, warning and breach times). psycopg's compiled loader (psycopg[binary])
gives the same ``datetime`` in a fifth of the time when the session's time zone is UTC, which is
how Django opens it with ``USE_TZ`` and no database ``TIME_ZONE``: an aware ``datetime`` whose
``tzinfo`` is ``datetime.timezone.utc``, the zone Django would put there.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created


@functools.cache
def utc_timestamptz_loader() -> type | None:
    """The loader to register, or ``None`` without psycopg's compiled loaders."""
    from psycopg import adapters
    from psycopg.pq import Format
    from psycopg.types.datetime import TimestamptzLoader

    compiled: Any = adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
    if compiled is None or issubclass(compiled, TimestamptzLoader):
        return None  # pure-Python psycopg: nothing faster to use

    class UtcTimestamptzLoader(TimestamptzLoader):
        """Django's UTC loader (``register_tzloader(timezone.utc, …)``), loading in C."""

        #: What Django compares before a cursor registers its own loader (``create_cursor``).
        timezone = datetime.UTC

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            connection = getattr(context, "connection", None)
            if connection is not None and connection.info.parameter_status("TimeZone") == "UTC":
                # The compiled loader answers in the session's zone: timezone.utc for "UTC".
                self.load = compiled(oid, context).load  # type: ignore[method-assign]

        def load(self, data: Any) -> datetime.datetime:
            # What Django's loader does, for a session in another zone.
            return super().load(data).replace(tzinfo=self.timezone)

    return UtcTimestamptzLoader


def _use_compiled_loaders(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor != "postgresql" or connection.timezone is not datetime.UTC:
        return
    loader = utc_timestamptz_loader()
    if loader is not None:
        connection.connection.adapters.register_loader("timestamptz", loader)


def install() -> None:
    connection_created.connect(_use_compiled_loaders, dispatch_uid="itsm.core.pg_types")

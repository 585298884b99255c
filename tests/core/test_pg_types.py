"""PostgreSQL timestamps read by psycopg's compiled loader give what Django's loader gives."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from itsm.core.pg_types import utc_timestamptz_loader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's loaders"),
]

LITERALS = (
    "'2026-11-27 06:21:06.11503+00'",
    "'2026-03-29 01:30:00+02'",
    "'0001-01-01 00:00:00+00'",
    "'9999-12-31 23:59:59.999999+00'",
    "'2026-11-27 06:21:06.000001+05:30'",
    "NULL",
)


def _read(literal: str) -> object:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {literal}::timestamptz")
        return cursor.fetchone()[0]


def test_the_compiled_loader_reads_what_djangos_reads() -> None:
    connection.ensure_connection()
    loader = utc_timestamptz_loader()
    if loader is None:
        pytest.skip("psycopg without its compiled loaders")
    adapters = connection.connection.adapters
    assert adapters.get_loader(1184, 0) is loader  # registered on every new connection

    ours = [_read(literal) for literal in LITERALS]
    register_tzloader(datetime.UTC, connection.connection)
    try:
        djangos = [_read(literal) for literal in LITERALS]
    finally:
        adapters.register_loader("timestamptz", loader)

    assert ours == djangos
    assert all(value is None or value.tzinfo is datetime.UTC for value in ours)

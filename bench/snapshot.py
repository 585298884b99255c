"""A pristine copy of the data set, so that every run that reuses it starts from the same rows.

The write scenarios change the data set: S1 and S8 log a few thousand incidents, S8 takes and
comments tickets, S7 fires thresholds, the fixtures add tokens and sessions. Reused as it was
left, the set grew run by run (more open incidents in every queue, more rows for the search and
the sweep), so two runs of one command did not measure the same thing. The harness now keeps a
copy of the set as it stood once loaded and caught up, and puts it back before each reuse:

- PostgreSQL: a database of its own, ``<name>_pristine``, made and restored with
  ``CREATE DATABASE … TEMPLATE`` (a copy of the files; at 1,000,000 tickets in under a minute
  where building the set again takes a quarter of an hour);
- SQLite: a copy of the file beside it, ``<file>.pristine``.

Both need the bench database closed: the harness closes its connections first, and nothing else
may be connected (the server is not running yet at that point).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from urllib.parse import urlsplit, urlunsplit

PRISTINE_SUFFIX = "_pristine"


def _split(url: str) -> tuple[str, str]:
    """The admin URL (the server's ``postgres`` database) and the bench database's name."""
    parts = urlsplit(url)
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    return admin, parts.path.lstrip("/")


def _sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def _is_postgresql(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def exists(url: str) -> bool:
    """Whether a pristine copy of this bench database was kept."""
    if not _is_postgresql(url):
        return os.path.exists(_sqlite_path(url) + ".pristine")
    import psycopg

    admin, name = _split(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name + PRISTINE_SUFFIX]
        ).fetchone()
    return found is not None


def _copy_database(admin: str, source: str, target: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(target), sql.Identifier(source)
            )
        )


def _copy_sqlite(source: str, target: str) -> None:
    # Fold the write-ahead log into the file first: the copy is then the whole database.
    with closing(sqlite3.connect(source)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(target + suffix):
            os.remove(target + suffix)
    shutil.copyfile(source, target)


def save(url: str) -> None:
    """Keep the bench database as it is now as the pristine copy (replacing an older one)."""
    if _is_postgresql(url):
        admin, name = _split(url)
        _copy_database(admin, name, name + PRISTINE_SUFFIX)
    else:
        path = _sqlite_path(url)
        _copy_sqlite(path, path + ".pristine")


def restore(url: str) -> None:
    """Put the pristine copy back in place of the bench database."""
    if _is_postgresql(url):
        admin, name = _split(url)
        _copy_database(admin, name + PRISTINE_SUFFIX, name)
    else:
        path = _sqlite_path(url)
        _copy_sqlite(path + ".pristine", path)


def drop(url: str) -> None:
    """Forget the pristine copy (the data set is being built again)."""
    if _is_postgresql(url):
        import psycopg
        from psycopg import sql

        admin, name = _split(url)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name + PRISTINE_SUFFIX)
                )
            )
    elif os.path.exists(_sqlite_path(url) + ".pristine"):
        os.remove(_sqlite_path(url) + ".pristine")

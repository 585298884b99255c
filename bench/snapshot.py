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

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from bench.environment import remove_sqlite_files
from bench.options import Options

PRISTINE_SUFFIX = "_pristine"


def _pristine_name(options: Options) -> str:
    return options.database_name + PRISTINE_SUFFIX


def _pristine_path(options: Options) -> str:
    return options.sqlite_path + ".pristine"


def exists(options: Options) -> bool:
    """Whether a pristine copy of this bench database was kept."""
    if not options.is_postgresql:
        return Path(_pristine_path(options)).exists()
    import psycopg

    with psycopg.connect(options.admin_url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [_pristine_name(options)]
        ).fetchone()
    return found is not None


def _drop_database(options: Options, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(options.admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _copy_database(options: Options, source: str, target: str) -> None:
    import psycopg
    from psycopg import sql

    _drop_database(options, target)
    with psycopg.connect(options.admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(target), sql.Identifier(source)
            )
        )


def _copy_sqlite(source: str, target: str) -> None:
    # Fold the write-ahead log into the file first: the copy is then the whole database. The
    # connection is closed before the copy (an SQLite connection left open in this process
    # beside Django's corrupted the bench database under the server's writes).
    with closing(sqlite3.connect(source)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # A log left beside the target would be replayed onto the copied file.
    remove_sqlite_files(target)
    shutil.copyfile(source, target)


def save(options: Options) -> None:
    """Keep the bench database as it is now as the pristine copy (replacing an older one)."""
    if options.is_postgresql:
        _copy_database(options, options.database_name, _pristine_name(options))
    else:
        _copy_sqlite(options.sqlite_path, _pristine_path(options))


def restore(options: Options) -> None:
    """Put the pristine copy back in place of the bench database."""
    if options.is_postgresql:
        _copy_database(options, _pristine_name(options), options.database_name)
    else:
        _copy_sqlite(_pristine_path(options), options.sqlite_path)


def drop(options: Options) -> None:
    """Forget the pristine copy (the data set is being built again)."""
    if options.is_postgresql:
        _drop_database(options, _pristine_name(options))
    else:
        remove_sqlite_files(_pristine_path(options))

"""The bench process and the server it starts share one environment: the bench database,
a private var directory, a fixed secret key. Django is set up here, before any model import."""

from __future__ import annotations

import os
import secrets

from bench.options import VAR_DIR, Options


def server_environment(options: Options) -> dict[str, str]:
    var_dir = VAR_DIR / ("pg" if options.is_postgresql else "sqlite")
    env = dict(os.environ)
    env.pop("ITSM_TESTING", None)
    env.update(
        {
            "ITSM_DATABASE_URL": options.database_url,
            "ITSM_VAR_DIR": str(var_dir),
            "ITSM_SECRET_KEY": env.get("ITSM_BENCH_SECRET_KEY") or secrets.token_urlsafe(48),
            "ITSM_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "ITSM_SITE_URL": f"http://127.0.0.1:{options.port}",
            # The harness's loopback SMTP sink (bench.mailsink) replaces this for the whole run.
            "ITSM_EMAIL_URL": "locmem://",
            "ITSM_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "itsm.settings",
        }
    )
    return env


def ensure_postgresql_database(options: Options, *, recreate: bool) -> None:
    """Create the bench database when missing (or afresh), through the server's postgres DB."""
    import psycopg
    from psycopg import sql

    name = options.database_name
    with psycopg.connect(options.admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def remove_sqlite_files(path: str) -> None:
    """An SQLite database's file with its write-ahead log and shared-memory index."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def setup(options: Options, env: dict[str, str], *, recreate: bool) -> None:
    """Point this process at the bench database, then set Django up and migrate."""
    if options.is_postgresql:
        ensure_postgresql_database(options, recreate=recreate)
    else:
        os.makedirs(os.path.dirname(options.sqlite_path), exist_ok=True)
        if recreate:
            remove_sqlite_files(options.sqlite_path)
    for key in (
        "ITSM_DATABASE_URL",
        "ITSM_VAR_DIR",
        "ITSM_SECRET_KEY",
        "ITSM_ALLOWED_HOSTS",
        "ITSM_EMAIL_URL",
        "ITSM_SITE_URL",
    ):
        os.environ[key] = env[key]
    os.environ.pop("ITSM_TESTING", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "itsm.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)

"""Where the store lives and how it is opened: the database engine, its locks and its schema.

A location is a SQLite file path or a PostgreSQL URL. `connect()` makes the SQLAlchemy engine
(psycopg 3 for PostgreSQL; the standard sqlite3 module, in WAL mode with a busy timeout, for
SQLite) and brings the schema to the newest revision with the Alembic migrations shipped in
this package, under a lock, so that many processes opening a new store at once create it once.
`write_transaction()` is the one way to append: it serialises writers (SQLite: BEGIN
IMMEDIATE; PostgreSQL: the chain-head row locked FOR UPDATE by the caller).

No chain logic lives here (checker/store/chain.py and store.py have it).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from checker.errors import StoreError
from checker.store.schema import HEAD, REVISIONS

ENV_VAR = "DXGUARD_STORE"
# How long a writer waits for another writer's turn before giving up (seconds).
BUSY_TIMEOUT = 120.0
# pg_advisory_xact_lock key that serialises schema migrations ("dxguard" in ASCII).
SCHEMA_LOCK_KEY = 0x6478677561726400
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_location() -> str:
    """A SQLite file in the user's data folder: $XDG_DATA_HOME/dxguard/evidence.sqlite
    (~/.local/share/dxguard/evidence.sqlite when XDG_DATA_HOME is not set)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return os.path.join(base, "dxguard", "evidence.sqlite")


def resolve_location(given: str | None, configured: str | None = None) -> str:
    """--store, else $DXGUARD_STORE, else the config's `store`, else the default file."""
    for value in (given, os.environ.get(ENV_VAR), configured):
        if value:
            return value
    return default_location()


@dataclass(frozen=True)
class Location:
    """A parsed store location: the SQLAlchemy URL and a display form without a password."""

    url: sa.URL
    display: str
    backend: str  # "sqlite" | "postgresql"
    path: Path | None = None  # the SQLite file


def parse_location(location: str) -> Location:
    text = location.strip()
    if not text:
        raise StoreError("the store location is empty", hint="pass --store PATH or a URL")
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        try:
            url = sa.make_url("postgresql+psycopg://" + text.split("://", 1)[1])
        except sa.exc.ArgumentError as err:
            raise StoreError(f"--store {location!r} is not a valid PostgreSQL URL: {err}") from None
        return Location(url, url.render_as_string(hide_password=True), "postgresql")
    if scheme == "sqlite":
        raw = text.split("://", 1)[1]
        path_text = raw[1:] if raw.startswith("/") else raw  # sqlite:///rel, sqlite:////abs
    elif scheme:
        raise StoreError(
            f"--store {location!r}: unknown scheme {scheme}://",
            hint="give a SQLite file path, or a postgresql://user@host/dbname URL",
        )
    else:
        path_text = text
    path = Path(path_text).expanduser()
    if path.exists() and path.is_dir():
        raise StoreError(
            f"--store {location}: is a folder", hint="name a file, e.g. {location}/evidence.sqlite"
        )
    path = path.resolve()
    return Location(sa.URL.create("sqlite", database=str(path)), str(path), "sqlite", path)


def connect(location: Location) -> Engine:
    """The engine for this location, with the schema at the newest revision."""
    if location.backend == "sqlite":
        engine = _sqlite_engine(location)
    else:
        engine = sa.create_engine(
            location.url, pool_pre_ping=False, connect_args={"connect_timeout": 10}
        )
    try:
        migrate(engine)
    except sa.exc.OperationalError as err:
        engine.dispose()
        raise StoreError(
            f"cannot open the store at {location.display}: {_short(err)}",
            hint=_hint(location),
        ) from None
    except BaseException:
        engine.dispose()
        raise
    return engine


def _sqlite_engine(location: Location) -> Engine:
    assert location.path is not None
    try:
        location.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(
            f"cannot create the folder of the store {location.display}: {err.strerror or err}"
        ) from None
    engine = sa.create_engine(
        location.url,
        connect_args={"timeout": BUSY_TIMEOUT, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: sqlite3.Connection, _record: object) -> None:
        # The driver must not open transactions on its own: BEGIN is ours (see below).
        dbapi.isolation_level = None
        cur = dbapi.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        cur.execute("PRAGMA journal_mode = WAL")  # readers never block the writer, nor it them
        cur.execute("PRAGMA synchronous = FULL")  # a recorded run survives a power cut
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes SQLite's write lock when its transaction starts (waiting up to the busy
        # timeout for another writer), so two appends can never read the same chain head.
        immediate = conn.get_execution_options().get("dxguard_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that writers take turns in. On SQLite it holds the database's write lock
    from its first statement; on PostgreSQL the caller locks the chain head (FOR UPDATE)."""
    with engine.connect().execution_options(dxguard_write=True) as conn, conn.begin():
        yield conn


def current_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine, target: str = HEAD) -> None:
    """Bring the schema to `target` (the newest revision by default), under the schema lock.

    Opening a store that is already current costs one query. A store written by a newer dxguard
    (a revision this one does not know) is refused rather than guessed at.
    """
    with engine.connect() as conn:
        revision = current_revision(conn)
        conn.rollback()
    if revision == target:
        return
    _known(revision, engine)
    with write_transaction(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK_KEY})
        revision = current_revision(conn)  # another process may have migrated meanwhile
        _known(revision, engine)
        if revision is not None and REVISIONS.index(revision) >= REVISIONS.index(target):
            return
        from alembic import command
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)


def _known(revision: str | None, engine: Engine) -> None:
    if revision is not None and revision not in REVISIONS:
        raise StoreError(
            f"the store at {engine.url.render_as_string(hide_password=True)} has schema "
            f"revision {revision}, which this dxguard does not know (it knows up to {HEAD})",
            hint="the store was written by a newer dxguard: upgrade dxguard to use it",
        )


def _short(err: BaseException) -> str:
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _hint(location: Location) -> str:
    if location.backend == "postgresql":
        return (
            "check that the PostgreSQL server is running and reachable, and that the URL's "
            "user, password and database are right (postgresql://user:password@host:5432/db)"
        )
    return "check that the file is a dxguard store (SQLite) and that its folder is writable"

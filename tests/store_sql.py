"""SQL on a store's database behind dxguard's back: how the tamper tests edit, delete and
reorder records as someone with write access to the database would."""

from __future__ import annotations


def raw_execute(location: str, *statements: str) -> None:
    """Run SQL on the store's database behind dxguard's back, as someone with write access to
    it would: the append-only guards are lifted first (SQLite: its triggers dropped;
    PostgreSQL: triggers off for the session, as a superuser can)."""
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")
            for sql in statements:
                conn.execute(sql)
        return
    import sqlite3

    conn = sqlite3.connect(location, isolation_level=None)
    try:
        names = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ]
        for name in names:
            conn.execute(f'DROP TRIGGER "{name}"')
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def raw_query(location: str, sql: str) -> list[tuple]:
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    import sqlite3

    conn = sqlite3.connect(location)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()

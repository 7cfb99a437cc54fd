"""Snapshots of a database's schema, read from the catalogs, for comparing DDL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

CORE_TABLES = ("user", "session", "account", "verification")
SNAPSHOT_TABLES = (*CORE_TABLES, "jwks", "auth_event")
"""Tables whose structure snapshots compare (plugin tables only when present)."""


async def postgres_snapshot(dsn: str, tables: tuple[str, ...] = SNAPSHOT_TABLES) -> dict[str, Any]:
    """Columns, constraints and indexes of ``tables`` as PostgreSQL's catalogs report them."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        columns = await conn.fetch(
            """
            SELECT table_name, ordinal_position, column_name, data_type, is_nullable, column_default
            FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = ANY($1::text[])
            ORDER BY table_name, ordinal_position
            """,
            list(tables),
        )
        constraints = await conn.fetch(
            """
            SELECT rel.relname AS table_name, con.conname, con.contype::text AS contype,
                   pg_get_constraintdef(con.oid) AS definition
            FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
            WHERE con.connamespace = 'public'::regnamespace AND rel.relname = ANY($1::text[])
            ORDER BY rel.relname, con.conname
            """,
            list(tables),
        )
        indexes = await conn.fetch(
            """
            SELECT tablename, indexname, indexdef FROM pg_indexes
            WHERE schemaname = 'public' AND tablename = ANY($1::text[])
            ORDER BY tablename, indexname
            """,
            list(tables),
        )
        present = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        )
    finally:
        await conn.close()
    return {
        "tables": [r["tablename"] for r in present],
        "columns": [tuple(r) for r in columns],
        "constraints": [tuple(r) for r in constraints],
        "indexes": [tuple(r) for r in indexes],
    }


def sqlite_snapshot(path: Path | str, tables: tuple[str, ...] = SNAPSHOT_TABLES) -> dict[str, Any]:
    """``PRAGMA`` views and the stored DDL of ``tables`` in a SQLite file."""
    conn = sqlite3.connect(path)
    try:
        snapshot: dict[str, Any] = {
            "tables": [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")],
        }
        for table in tables:
            if table not in snapshot["tables"]:
                continue
            indexes = []
            for _, name, unique, origin, partial in conn.execute(f'PRAGMA index_list("{table}")'):
                columns = [r[2] for r in conn.execute(f'PRAGMA index_info("{name}")')]
                indexes.append((name, unique, origin, partial, columns))
            snapshot[table] = {
                "columns": [tuple(r) for r in conn.execute(f'PRAGMA table_info("{table}")')],
                "indexes": sorted(indexes),
                "foreign_keys": [tuple(r) for r in conn.execute(f'PRAGMA foreign_key_list("{table}")')],
                "sql": [
                    r[0]
                    for r in conn.execute(
                        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type, name",
                        (table,),
                    )
                ],
            }
        return snapshot
    finally:
        conn.close()

"""The DDL ``create_schema()`` makes is Better Auth's (protocol §10), and so are the stored values.

Each dialect is checked twice: against the facts listed in §10.2/§10.3, and against a database
made by running Better Auth's own observed DDL (the core tables, without plugin columns).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fastapi_betterauth.db.adapter import Where
from fastapi_betterauth.db.sqlalchemy import SQLAlchemyAdapter
from tests._services import asyncpg_url
from tests.db._inspect import postgres_snapshot, sqlite_snapshot
from tests.db.contract import NOW, account, session, user

pytestmark = pytest.mark.anyio

# protocol §10.2, without the admin plugin's columns and the jwt plugin's table.
BETTER_AUTH_POSTGRES_DDL = [
    'create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, '
    '"emailVerified" boolean not null, "image" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, '
    '"updatedAt" timestamptz default CURRENT_TIMESTAMP not null)',
    'create table "session" ("id" text not null primary key, "expiresAt" timestamptz not null, '
    '"token" text not null unique, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, '
    '"updatedAt" timestamptz not null, "ipAddress" text, "userAgent" text, '
    '"userId" text not null references "user" ("id") on delete cascade)',
    'create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, '
    '"userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, '
    '"idToken" text, "accessTokenExpiresAt" timestamptz, "refreshTokenExpiresAt" timestamptz, "scope" text, '
    '"password" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null)',
    'create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, '
    '"expiresAt" timestamptz not null, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, '
    '"updatedAt" timestamptz default CURRENT_TIMESTAMP not null)',
    'create index "session_userId_idx" on "session" ("userId")',
    'create index "account_userId_idx" on "account" ("userId")',
    'create index "verification_identifier_idx" on "verification" ("identifier")',
]

# protocol §10.3: the same structure with SQLite's types and no defaults.
BETTER_AUTH_SQLITE_DDL = [
    'create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, '
    '"emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null)',
    'create table "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique, '
    '"createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text, '
    '"userId" text not null references "user" ("id") on delete cascade)',
    'create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, '
    '"userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, '
    '"idToken" text, "accessTokenExpiresAt" date, "refreshTokenExpiresAt" date, "scope" text, "password" text, '
    '"createdAt" date not null, "updatedAt" date not null)',
    'create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, '
    '"expiresAt" date not null, "createdAt" date not null, "updatedAt" date not null)',
    'create index "session_userId_idx" on "session" ("userId")',
    'create index "account_userId_idx" on "account" ("userId")',
    'create index "verification_identifier_idx" on "verification" ("identifier")',
]

TEXT, BOOL, TSTZ = "text", "boolean", "timestamp with time zone"
NOW_DEFAULT = "CURRENT_TIMESTAMP"

# (table, column, PostgreSQL data_type, nullable, default) in column order.
COLUMNS: list[tuple[str, str, str, bool, str | None]] = [
    ("account", "id", TEXT, False, None),
    ("account", "accountId", TEXT, False, None),
    ("account", "providerId", TEXT, False, None),
    ("account", "userId", TEXT, False, None),
    ("account", "accessToken", TEXT, True, None),
    ("account", "refreshToken", TEXT, True, None),
    ("account", "idToken", TEXT, True, None),
    ("account", "accessTokenExpiresAt", TSTZ, True, None),
    ("account", "refreshTokenExpiresAt", TSTZ, True, None),
    ("account", "scope", TEXT, True, None),
    ("account", "password", TEXT, True, None),
    ("account", "createdAt", TSTZ, False, NOW_DEFAULT),
    ("account", "updatedAt", TSTZ, False, None),
    ("session", "id", TEXT, False, None),
    ("session", "expiresAt", TSTZ, False, None),
    ("session", "token", TEXT, False, None),
    ("session", "createdAt", TSTZ, False, NOW_DEFAULT),
    ("session", "updatedAt", TSTZ, False, None),
    ("session", "ipAddress", TEXT, True, None),
    ("session", "userAgent", TEXT, True, None),
    ("session", "userId", TEXT, False, None),
    ("user", "id", TEXT, False, None),
    ("user", "name", TEXT, False, None),
    ("user", "email", TEXT, False, None),
    ("user", "emailVerified", BOOL, False, None),
    ("user", "image", TEXT, True, None),
    ("user", "createdAt", TSTZ, False, NOW_DEFAULT),
    ("user", "updatedAt", TSTZ, False, NOW_DEFAULT),
    ("verification", "id", TEXT, False, None),
    ("verification", "identifier", TEXT, False, None),
    ("verification", "value", TEXT, False, None),
    ("verification", "expiresAt", TSTZ, False, None),
    ("verification", "createdAt", TSTZ, False, NOW_DEFAULT),
    ("verification", "updatedAt", TSTZ, False, NOW_DEFAULT),
]
SQLITE_TYPES = {TEXT: "text", BOOL: "integer", TSTZ: "date"}

POSTGRES_CONSTRAINTS = [
    ("account", "account_pkey", "p", "PRIMARY KEY (id)"),
    ("account", "account_userId_fkey", "f", 'FOREIGN KEY ("userId") REFERENCES "user"(id) ON DELETE CASCADE'),
    ("session", "session_pkey", "p", "PRIMARY KEY (id)"),
    ("session", "session_token_key", "u", "UNIQUE (token)"),
    ("session", "session_userId_fkey", "f", 'FOREIGN KEY ("userId") REFERENCES "user"(id) ON DELETE CASCADE'),
    ("user", "user_email_key", "u", "UNIQUE (email)"),
    ("user", "user_pkey", "p", "PRIMARY KEY (id)"),
    ("verification", "verification_pkey", "p", "PRIMARY KEY (id)"),
]
POSTGRES_INDEXES = [
    ("account", "account_pkey", "CREATE UNIQUE INDEX account_pkey ON public.account USING btree (id)"),
    ("account", "account_userId_idx", 'CREATE INDEX "account_userId_idx" ON public.account USING btree ("userId")'),
    ("session", "session_pkey", "CREATE UNIQUE INDEX session_pkey ON public.session USING btree (id)"),
    ("session", "session_token_key", "CREATE UNIQUE INDEX session_token_key ON public.session USING btree (token)"),
    ("session", "session_userId_idx", 'CREATE INDEX "session_userId_idx" ON public.session USING btree ("userId")'),
    ("user", "user_email_key", 'CREATE UNIQUE INDEX user_email_key ON public."user" USING btree (email)'),
    ("user", "user_pkey", 'CREATE UNIQUE INDEX user_pkey ON public."user" USING btree (id)'),
    (
        "verification",
        "verification_identifier_idx",
        "CREATE INDEX verification_identifier_idx ON public.verification USING btree (identifier)",
    ),
    (
        "verification",
        "verification_pkey",
        "CREATE UNIQUE INDEX verification_pkey ON public.verification USING btree (id)",
    ),
]
# PRAGMA index_list / index_info: (name, unique, origin, partial, columns)
SQLITE_INDEXES = {
    "user": [("sqlite_autoindex_user_1", 1, "pk", 0, ["id"]), ("sqlite_autoindex_user_2", 1, "u", 0, ["email"])],
    "session": [
        ("session_userId_idx", 0, "c", 0, ["userId"]),
        ("sqlite_autoindex_session_1", 1, "pk", 0, ["id"]),
        ("sqlite_autoindex_session_2", 1, "u", 0, ["token"]),
    ],
    "account": [("account_userId_idx", 0, "c", 0, ["userId"]), ("sqlite_autoindex_account_1", 1, "pk", 0, ["id"])],
    "verification": [
        ("sqlite_autoindex_verification_1", 1, "pk", 0, ["id"]),
        ("verification_identifier_idx", 0, "c", 0, ["identifier"]),
    ],
}
# PRAGMA foreign_key_list: (id, seq, table, from, to, on_update, on_delete, match)
SQLITE_FOREIGN_KEYS = {
    "user": [],
    "session": [(0, 0, "user", "userId", "id", "NO ACTION", "CASCADE", "NONE")],
    "account": [(0, 0, "user", "userId", "id", "NO ACTION", "CASCADE", "NONE")],
    "verification": [],
}


async def _create_schema(url: str) -> None:
    adapter = SQLAlchemyAdapter(url)
    try:
        await adapter.create_schema()
    finally:
        await adapter.close()


async def _run_postgres(dsn: str, statements: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _run_sqlite(path: Path, statements: list[str], parameters: tuple[Any, ...] = ()) -> None:
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement, parameters)
        conn.commit()
    finally:
        conn.close()


# -- PostgreSQL -----------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_postgres_columns(postgres_dsn: str) -> None:
    await _create_schema(asyncpg_url(postgres_dsn))
    snapshot = await postgres_snapshot(postgres_dsn)
    assert snapshot["tables"] == ["account", "session", "user", "verification"]
    found = [
        (table, name, kind, nullable == "YES", default)
        for table, _, name, kind, nullable, default in snapshot["columns"]
    ]
    assert found == COLUMNS
    # Column order is Better Auth's: ordinal positions run 1..n per table.
    for table in ("account", "session", "user", "verification"):
        positions = [pos for t, pos, *_ in snapshot["columns"] if t == table]
        assert positions == list(range(1, len(positions) + 1))


@pytest.mark.postgres
async def test_postgres_constraints_and_indexes(postgres_dsn: str) -> None:
    await _create_schema(asyncpg_url(postgres_dsn))
    snapshot = await postgres_snapshot(postgres_dsn)
    assert snapshot["constraints"] == POSTGRES_CONSTRAINTS
    assert snapshot["indexes"] == POSTGRES_INDEXES


@pytest.mark.postgres
async def test_postgres_schema_equals_better_auths_ddl(make_postgres_database: Callable[[], Awaitable[str]]) -> None:
    ours, theirs = await make_postgres_database(), await make_postgres_database()
    await _create_schema(asyncpg_url(ours))
    await _run_postgres(theirs, BETTER_AUTH_POSTGRES_DDL)
    assert await postgres_snapshot(ours) == await postgres_snapshot(theirs)


@pytest.mark.postgres
async def test_postgres_values_we_write_are_native(postgres_dsn: str) -> None:
    import asyncpg

    adapter = SQLAlchemyAdapter(asyncpg_url(postgres_dsn))
    await adapter.create_schema()
    try:
        await adapter.create("user", user("u1", emailVerified=True))
    finally:
        await adapter.close()
    conn = await asyncpg.connect(postgres_dsn)
    try:
        row = await conn.fetchrow(
            """SELECT "emailVerified", pg_typeof("emailVerified")::text AS bool_type,
                      "createdAt" = '2026-11-22T09:01:23.910Z'::timestamptz AS same_instant
               FROM "user" WHERE id = 'u1'"""
        )
    finally:
        await conn.close()
    assert tuple(row) == (True, "boolean", True)


@pytest.mark.postgres
async def test_postgres_rows_written_by_better_auth_read_back(postgres_dsn: str) -> None:
    await _run_postgres(
        postgres_dsn,
        [
            *BETTER_AUTH_POSTGRES_DDL,
            """insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt")
               values ('VFuy4Zd15DSztkjd6MvxVGA4QoPd5uTQ', 'Ann', 'ann@example.com', false, null,
                       '2026-11-22T09:01:23.910Z', '2026-11-22T09:01:23.910Z')""",
            """insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent",
                                      "userId")
               values ('s1', '2026-11-29T09:01:23.910Z', 'tok', '2026-11-22T09:01:23.910Z',
                       '2026-11-22T09:01:23.910Z', '', '', 'VFuy4Zd15DSztkjd6MvxVGA4QoPd5uTQ')""",
        ],
    )
    adapter = SQLAlchemyAdapter(asyncpg_url(postgres_dsn))
    try:
        found = await adapter.find_one("user", [Where("email", "ann@example.com")])
        assert found == {
            "id": "VFuy4Zd15DSztkjd6MvxVGA4QoPd5uTQ",
            "name": "Ann",
            "email": "ann@example.com",
            "emailVerified": False,
            "image": None,
            "createdAt": NOW,
            "updatedAt": NOW,
        }
        assert found["createdAt"].utcoffset().total_seconds() == 0
        assert await adapter.count("session", [Where("expiresAt", NOW, "gt")]) == 1
        assert await adapter.delete("user", [Where("id", "VFuy4Zd15DSztkjd6MvxVGA4QoPd5uTQ")]) == 1
        assert await adapter.count("session") == 0
    finally:
        await adapter.close()


# -- SQLite ---------------------------------------------------------------------------------------


async def test_sqlite_columns_have_better_auths_types_and_no_defaults(sqlite_path: Path) -> None:
    await _create_schema(f"sqlite+aiosqlite:///{sqlite_path}")
    snapshot = sqlite_snapshot(sqlite_path)
    assert snapshot["tables"] == ["account", "session", "user", "verification"]
    for table in ("account", "session", "user", "verification"):
        expected = [
            (name, SQLITE_TYPES[kind], 0 if nullable else 1, None, 1 if name == "id" else 0)
            for t, name, kind, nullable, _ in COLUMNS
            if t == table
        ]
        found = [
            (name, kind.lower(), notnull, default, pk)
            for _, name, kind, notnull, default, pk in snapshot[table]["columns"]
        ]
        assert found == expected, table
        assert snapshot[table]["indexes"] == SQLITE_INDEXES[table], table
        assert snapshot[table]["foreign_keys"] == SQLITE_FOREIGN_KEYS[table], table


async def test_sqlite_schema_equals_better_auths_ddl(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    await _create_schema(f"sqlite+aiosqlite:///{ours}")
    _run_sqlite(theirs, BETTER_AUTH_SQLITE_DDL)

    def comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
        # Type names differ only in case ("TEXT" vs "text"), which SQLite ignores for affinity.
        return {
            table: {
                "columns": [(*c[:2], c[2].lower(), *c[3:]) for c in facts["columns"]],
                "indexes": facts["indexes"],
                "foreign_keys": facts["foreign_keys"],
            }
            for table, facts in snapshot.items()
            if table != "tables"
        }

    assert comparable(sqlite_snapshot(ours)) == comparable(sqlite_snapshot(theirs))


async def test_sqlite_values_we_write_are_iso_text_and_integers(sqlite_path: Path) -> None:
    adapter = SQLAlchemyAdapter(f"sqlite+aiosqlite:///{sqlite_path}")
    await adapter.create_schema()
    try:
        await adapter.create("user", user("u1", emailVerified=True))
        await adapter.create(
            "user", user("u2", emailVerified=False, createdAt=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
        )
        await adapter.create("session", session("s1", "u1"))
    finally:
        await adapter.close()
    conn = sqlite3.connect(sqlite_path)
    try:
        rows = conn.execute(
            'SELECT id, "createdAt", typeof("createdAt"), "emailVerified", typeof("emailVerified") '
            'FROM "user" ORDER BY id'
        ).fetchall()
        expires = conn.execute('SELECT "expiresAt" FROM "session"').fetchone()
    finally:
        conn.close()
    assert rows == [
        ("u1", "2026-11-22T09:01:23.910Z", "text", 1, "integer"),
        ("u2", "2026-01-02T03:04:05.000Z", "text", 0, "integer"),
    ]
    assert expires == ("2026-11-23T09:01:23.910Z",)


async def test_sqlite_rows_written_by_better_auth_read_back(sqlite_path: Path) -> None:
    _run_sqlite(sqlite_path, BETTER_AUTH_SQLITE_DDL)
    _run_sqlite(
        sqlite_path,
        [
            'insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") '
            "values ('VFuy4Zd15DSztkjd6MvxVGA4QoPd5uTQ', 'Ann', 'ann@example.com', 0, null, "
            "'2026-11-22T09:01:23.910Z', '2026-11-22T09:01:23.910Z')",
            'insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") '
            "values ('u2', 'Bo', 'bo@example.com', 1, 'https://img', '2026-11-22T10:01:23.910Z', 1795338083910)",
            'insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", '
            "\"userId\") values ('s1', '2026-11-29T09:01:23.910Z', 'tok', '2026-11-22T09:01:23.910Z', "
            "'2026-11-22T09:01:23.910Z', '', '', 'VFuy4Zd15DSztkjd6MvxVGA4QoPd5uTQ')",
            'insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt") '
            "values ('a1', 'VFuy4Zd15DSztkjd6MvxVGA4QoPd5uTQ', 'credential', 'VFuy4Zd15DSztkjd6MvxVGA4QoPd5uTQ', "
            "'salt:hash', '2026-11-22T09:01:23.910Z', '2026-11-22T09:01:23.910Z')",
        ],
    )
    adapter = SQLAlchemyAdapter(f"sqlite+aiosqlite:///{sqlite_path}")
    try:
        ann = await adapter.find_one("user", [Where("email", "ann@example.com")])
        assert ann == {
            "id": "VFuy4Zd15DSztkjd6MvxVGA4QoPd5uTQ",
            "name": "Ann",
            "email": "ann@example.com",
            "emailVerified": False,
            "image": None,
            "createdAt": NOW,
            "updatedAt": NOW,
        }
        bo = await adapter.find_one("user", [Where("id", "u2")])
        assert bo is not None
        assert bo["emailVerified"] is True
        # Epoch milliseconds (some JS adapters) read back as the same instant.
        assert bo["updatedAt"] == datetime(2026, 11, 22, 9, 1, 23, 910000, tzinfo=UTC)
        # Comparisons and ordering work on the stored text.
        assert await adapter.count("session", [Where("expiresAt", NOW, "gt")]) == 1
        assert await adapter.count("user", [Where("createdAt", NOW, "gt")]) == 1
        await adapter.create("account", account("a2", "u2"))
        # Foreign keys declared by Better Auth's DDL cascade through our connection too.
        assert await adapter.delete("user", [Where("id", "VFuy4Zd15DSztkjd6MvxVGA4QoPd5uTQ")]) == 1
        assert await adapter.count("session") == 0
        assert [r["id"] for r in await adapter.find_many("account")] == ["a2"]
    finally:
        await adapter.close()

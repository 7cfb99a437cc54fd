"""``fastapi-betterauth`` command line: database setup against the configured database.

Examples::

    fastapi-betterauth create-schema --database-url sqlite+aiosqlite:///./app.db
    DATABASE_URL=postgresql+asyncpg://app@localhost/app fastapi-betterauth migrate
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence


def _database_url(value: str | None) -> str:
    url = value or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("error: pass --database-url or set DATABASE_URL")
    return url


async def _create_schema(url: str) -> None:
    from .db.sqlalchemy import SQLAlchemyAdapter

    adapter = SQLAlchemyAdapter(url)
    try:
        await adapter.create_schema()
    finally:
        await adapter.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fastapi-betterauth`` script."""
    parser = argparse.ArgumentParser(
        prog="fastapi-betterauth", description=__doc__.splitlines()[0] if __doc__ else None
    )
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-schema", help="create Better Auth's tables if missing (development)")
    create.add_argument("--database-url", help="SQLAlchemy async URL (default: $DATABASE_URL)")
    migrate = sub.add_parser("migrate", help="apply the library's Alembic migrations (production)")
    migrate.add_argument("--database-url", help="SQLAlchemy async URL (default: $DATABASE_URL)")
    migrate.add_argument(
        "--revision", default="better_auth@head", help="target revision (default: the core tables, better_auth@head)"
    )
    migrate.add_argument(
        "--plugin", action="append", default=[], choices=["jwt"], help="also create this plugin's tables (repeatable)"
    )
    args = parser.parse_args(argv)

    url = _database_url(args.database_url)
    if args.command == "create-schema":
        asyncio.run(_create_schema(url))
        print("schema ready")
        return 0
    from . import migrations

    migrations.upgrade(url, args.revision)
    print(f"migrated to {args.revision}")
    for plugin in args.plugin:
        target = f"{migrations.PLUGIN_BRANCHES[plugin]}@head"
        migrations.upgrade(url, target)
        print(f"migrated to {target}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

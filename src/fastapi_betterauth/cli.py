"""``fastapi-betterauth`` command line: database setup against the configured database.

Examples::

    fastapi-betterauth create-schema --database-url sqlite+aiosqlite:///./app.db
    DATABASE_URL=postgresql+asyncpg://app@localhost/app fastapi-betterauth migrate
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
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


async def _create_admin(url: str, email: str, name: str | None, password: str | None) -> str:
    """Promote an existing user to admin, or create one with a password; what happened, as a sentence."""
    from .auth import BetterAuth
    from .plugins.admin import admin
    from .plugins.admin.access import split_roles
    from .settings import AuthSettings

    auth = BetterAuth(AuthSettings(), database=url, plugins=[admin()])
    try:
        existing = await auth.store.find_user_by_email(email)
        if existing is not None:
            roles = split_roles(existing.get("role") or "user")
            if "admin" not in roles:
                await auth.store.update_user(existing["id"], {"role": ",".join([*roles, "admin"])})
            return f"{email} is an admin (user id {existing['id']})"
        if not password:
            password = _ask_password()
        length = len(password)
        policy = auth.settings.email_and_password
        if not policy.min_password_length <= length <= policy.max_password_length:
            raise SystemExit(
                f"error: the password must have {policy.min_password_length} to {policy.max_password_length} characters"
            )
        password_hash = await auth.context.hashing.hash(password)
        async with auth.adapter.transaction() as tx:
            user = await auth.store.create_user(
                {"email": email, "name": name or email.split("@")[0], "role": "admin", "emailVerified": True},
                adapter=tx,
            )
            await auth.store.create_credential_account(user["id"], password_hash, adapter=tx)
        return f"created admin {email} (user id {user['id']})"
    finally:
        await auth.close()


def _ask_password() -> str:
    """The new admin's password, typed twice at a prompt that does not echo it.

    Never a command-line argument: those end up in shell history and are visible to every user of the
    machine in the process list.
    """
    if not sys.stdin.isatty():
        raise SystemExit(
            "error: no user with that email: to create one, run this in a terminal (it asks for the password) "
            "or set BETTER_AUTH_ADMIN_PASSWORD"
        )
    first = getpass.getpass("Password for the new admin: ")
    if getpass.getpass("Repeat it: ") != first:
        raise SystemExit("error: the passwords differ")
    return first


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
        "--plugin",
        action="append",
        default=[],
        choices=["jwt", "admin", "audit", "rate-limit"],
        help="also create this plugin's schema (repeatable)",
    )
    admin_cmd = sub.add_parser(
        "create-admin",
        help="make a user an admin, creating it if it does not exist (the password is asked for, or read "
        "from $BETTER_AUTH_ADMIN_PASSWORD; never an argument)",
    )
    admin_cmd.add_argument("--database-url", help="SQLAlchemy async URL (default: $DATABASE_URL)")
    admin_cmd.add_argument("--email", required=True)
    admin_cmd.add_argument("--name")
    args = parser.parse_args(argv)

    url = _database_url(args.database_url)
    if args.command == "create-admin":
        password = os.environ.get("BETTER_AUTH_ADMIN_PASSWORD")
        print(asyncio.run(_create_admin(url, args.email.strip().lower(), args.name, password)))
        return 0
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

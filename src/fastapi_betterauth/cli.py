"""``fastapi-betterauth`` command line: database setup against the configured database.

Examples::

    fastapi-betterauth create-schema --database-url sqlite+aiosqlite:///./app.db
    DATABASE_URL=postgresql+asyncpg://app@localhost/app fastapi-betterauth migrate
    fastapi-betterauth check-schema --plugin admin     # what is missing, and the command that adds it
    fastapi-betterauth stamp                           # tables made by create_schema() -> migrations

Errors are one ``error: …`` line with the fix, exit code 1; ``--traceback`` (or
``FASTAPI_BETTERAUTH_DEBUG=1``) shows Python's trace instead.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import shlex
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .cli_errors import CLIError, explain

if TYPE_CHECKING:
    from .schema_check import Diagnosis

PLUGIN_CHOICES = ("jwt", "admin", "audit", "rate-limit")


def _database_url(value: str | None) -> str:
    url = value or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("error: pass --database-url or set DATABASE_URL")
    return url


def _url_option(args: argparse.Namespace) -> str:
    """`` --database-url …`` for the commands we print, when the URL was an argument (its password masked)."""
    if not args.database_url:
        return ""
    from sqlalchemy.engine import make_url

    url = make_url(args.database_url)
    shown = url.render_as_string(hide_password=True) if url.password else args.database_url
    return f" --database-url {shlex.quote(shown)}"


async def _create_schema(url: str, plugins: Sequence[str]) -> list[str]:
    """Create the tables and add missing columns (not in production); the columns added."""
    from .db.sqlalchemy import SQLAlchemyAdapter
    from .schema_check import columns_of, read_live, required_schema
    from .settings import AuthSettings

    add = AuthSettings().environment != "production"
    schema = required_schema(plugins)
    before = await read_live(url)
    adapter = SQLAlchemyAdapter(url, schema)
    try:
        await adapter.create_schema(add_missing_columns=add)
    finally:
        await adapter.close()
    return [str(m) for m in before.missing(columns_of(schema.values())) if m.column is not None]


def _diagnose(url: str, plugins: Sequence[str], url_option: str) -> Diagnosis:
    from .schema_check import diagnose, read_live, required_schema

    return diagnose(asyncio.run(read_live(url)), required_schema(plugins), url_option=url_option)


def _require_schema(url: str, plugins: Sequence[str], url_option: str, purpose: str) -> None:
    """Stop with the fix when the database lacks what ``purpose`` needs (before any half-done work)."""
    diagnosis = _diagnose(url, plugins, url_option)
    if not diagnosis.complete:
        raise CLIError(
            f"the database lacks what {purpose} needs: {diagnosis.describe_missing()}. Fix: {diagnosis.fix()}"
        )


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


def _stamp(url: str, plugins: Sequence[str], url_option: str) -> str:
    from . import migrations
    from .schema_check import read_live

    live = asyncio.run(read_live(url))
    applied = migrations.applied_branches(live.versions or ())
    branches = [migrations.BRANCH_LABEL, *(migrations.PLUGIN_BRANCHES[p] for p in plugins)]
    targets = [f"{b}@head" for b in dict.fromkeys(branches) if b not in applied]
    if not targets:
        return "already recorded: " + ", ".join(f"{b}@head" for b in branches)
    try:
        migrations.stamp(url, targets)
    except migrations.StampRefusedError as exc:
        from .schema_check import diagnose, required_schema

        diagnosis = diagnose(live, required_schema(plugins), url_option=url_option)
        raise CLIError(
            f"refusing to stamp {', '.join(exc.revisions)}: the database lacks {', '.join(exc.missing)}, and a stamped"
            f" migration never runs. Fix: {diagnosis.fix()}"
        ) from exc
    return "stamped " + ", ".join(targets)


def _migrate(url: str, revision: str, plugins: Sequence[str], url_option: str) -> list[str]:
    from . import migrations
    from .schema_check import CORE

    diagnosis = _diagnose(url, plugins, url_option)
    targets = [CORE, *plugins]
    blocked = [c for c in diagnosis.conflicts if c in targets]
    if blocked:
        what = " and ".join("the core tables" if c == CORE else f"the {c} plugin's tables or columns" for c in blocked)
        raise CLIError(
            f"{what} exist already but {migrations.VERSION_TABLE} does not record them (made by create_schema() or "
            "a TypeScript Better Auth server?), so migrating would fail with DuplicateTable."
            f" Fix: {diagnosis.fix() if diagnosis.missing else f'run `{diagnosis.stamp}`: nothing is left to migrate'}"
        )
    done = []
    migrations.upgrade(url, revision)
    done.append(f"migrated to {revision}")
    for plugin in plugins:
        target = f"{migrations.PLUGIN_BRANCHES[plugin]}@head"
        migrations.upgrade(url, target)
        done.append(f"migrated to {target}")
    return done


def _check_schema(url: str, plugins: Sequence[str], url_option: str) -> int:
    from .schema_check import owner_label

    diagnosis = _diagnose(url, plugins, url_option)
    scope = ", ".join(["core", *plugins])
    for item in diagnosis.missing:
        print(f"missing: {item} ({owner_label(diagnosis.owners[item])})")
    if diagnosis.missing:
        for i, cmd in enumerate(diagnosis.migrations):
            print(f"{'fix:' if i == 0 else '    '} {cmd}")
        for i, cmd in enumerate(diagnosis.development):
            print(f"{'in development:' if i == 0 else '               '} {cmd}")
    else:
        print(f"schema complete ({scope})")
    for note in diagnosis.notes:
        print(f"note: {note}")
    return 1 if diagnosis.missing else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastapi-betterauth", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--traceback", action="store_true", help="show Python's trace on errors")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="SQLAlchemy async URL (default: $DATABASE_URL)")
    common.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    with_plugins = argparse.ArgumentParser(add_help=False, parents=[common])
    with_plugins.add_argument(
        "--plugin",
        action="append",
        default=[],
        choices=PLUGIN_CHOICES,
        help="also this plugin's tables and columns (repeatable)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "create-schema",
        parents=[with_plugins],
        help="create Better Auth's tables if missing, and add missing plugin columns (development)",
    )
    migrate = sub.add_parser(
        "migrate", parents=[with_plugins], help="apply the library's Alembic migrations (production)"
    )
    migrate.add_argument(
        "--revision", default="better_auth@head", help="target revision (default: the core tables, better_auth@head)"
    )
    sub.add_parser(
        "stamp",
        parents=[with_plugins],
        help="record the core (and named plugins') migrations as applied without running them, for tables made "
        "by create_schema(); refused when a table or column they create is missing",
    )
    sub.add_parser(
        "check-schema",
        parents=[with_plugins],
        help="list the tables and columns the core and the named plugins need that the database lacks, and the "
        "commands that add them (exit code 1 when something is missing)",
    )
    admin_cmd = sub.add_parser(
        "create-admin",
        parents=[common],
        help="make a user an admin, creating it if it does not exist (the password is asked for, or read "
        "from $BETTER_AUTH_ADMIN_PASSWORD; never an argument)",
    )
    admin_cmd.add_argument("--email", required=True)
    admin_cmd.add_argument("--name")
    return parser


def _run(args: argparse.Namespace) -> int:
    url = _database_url(args.database_url)
    option = _url_option(args)
    plugins: list[str] = list(dict.fromkeys(getattr(args, "plugin", [])))
    if args.command == "create-admin":
        _require_schema(url, ["admin"], option, "create-admin")
        password = os.environ.get("BETTER_AUTH_ADMIN_PASSWORD")
        print(asyncio.run(_create_admin(url, args.email.strip().lower(), args.name, password)))
        return 0
    if args.command == "create-schema":
        added = asyncio.run(_create_schema(url, plugins))
        if added:
            print(f"added columns: {', '.join(added)}")
        print("schema ready")
        return 0
    if args.command == "stamp":
        print(_stamp(url, plugins, option))
        return 0
    if args.command == "check-schema":
        return _check_schema(url, plugins, option)
    for line in _migrate(url, args.revision, plugins, option):
        print(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fastapi-betterauth`` script."""
    args = _parser().parse_args(argv)
    debug = args.traceback or os.environ.get("FASTAPI_BETTERAUTH_DEBUG") == "1"
    try:
        return _run(args)
    except Exception as exc:
        if debug:
            raise
        print(f"error: {explain(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

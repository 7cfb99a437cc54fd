"""Alembic migrations for Better Auth's core tables (``user``, ``session``, ``account``, ``verification``).

The revisions here create exactly the tables ``SQLAlchemyAdapter.create_schema()`` creates, which
are the tables Better Auth's own migration generator creates. They can be used two
ways (see docs/migrations.md):

* standalone, with :func:`upgrade` (or ``alembic -c`` :data:`ALEMBIC_INI`); the revision is recorded
  in its own version table, :data:`VERSION_TABLE`, so it never collides with an application's
  Alembic history in the same database;
* inside an application's own Alembic history, by adding ``fastapi_betterauth:migrations/versions``
  to its ``version_locations``; the revisions carry the branch label :data:`BRANCH_LABEL`.

Alembic's command API is synchronous and our ``env.py`` runs its own event loop, so from async code
call these functions in a worker thread (``await anyio.to_thread.run_sync(upgrade, url)``).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic (and Mako) are imported where a migration command runs: ``create_schema()`` reads what this module
# knows of the branches on every start, and importing Alembic there cost a server ~9 MiB of memory.

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)
"""This package's directory: Alembic's ``script_location`` for the standalone setup."""

VERSION_LOCATION = "fastapi_betterauth:migrations/versions"
"""The revisions, as an entry for an application's ``version_locations``."""

ALEMBIC_INI = str(Path(SCRIPT_LOCATION) / "alembic.ini")
"""A ready ``alembic.ini`` for ``alembic -c`` (pass the database with ``-x url=…``)."""

BRANCH_LABEL = "better_auth"
"""Branch label of the revisions (``alembic upgrade better_auth@head``)."""

CORE_REVISION = "ba1724c0e001"
"""The revision creating the core tables; name it in ``depends_on`` of revisions referencing them."""

VERSION_TABLE = "alembic_version_better_auth"
"""Version table of the standalone setup (an application's own history keeps ``alembic_version``)."""

BETTER_AUTH_TABLES = frozenset(
    {"user", "session", "account", "verification", "jwks", "rateLimit", "auth_event", VERSION_TABLE}
)
"""Tables owned by Better Auth: :func:`include_object` hides them from an application's autogenerate."""


def async_url(url: str) -> str:
    """The SQLAlchemy async URL for ``url``.

    ``postgresql://`` (and ``postgres://``) become ``postgresql+asyncpg://``; SQLite must already
    name the async driver (``sqlite+aiosqlite:///path.db``).

    Raises:
        ConfigurationError: for a SQLite URL without ``+aiosqlite``, or an unparsable URL.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except Exception:  # sqlalchemy.exc.ArgumentError; the URL is never quoted: it may hold a password
        raise ConfigurationError(
            "not a database URL (e.g. sqlite+aiosqlite:///./app.db or postgresql+asyncpg://user@host/db)"
        ) from None
    if parsed.drivername == "postgresql":
        return url.replace("postgresql://", "postgresql+asyncpg://", 1)
    if parsed.get_backend_name() == "sqlite" and parsed.drivername != "sqlite+aiosqlite":
        raise ConfigurationError("use the async SQLite driver: sqlite+aiosqlite:///path.db")
    return url


def alembic_config(url: str | None = None, **options: str) -> Config:
    """An Alembic ``Config`` for the standalone setup.

    Args:
        url: database URL, handed to ``env.py`` as ``-x url=…`` (so it wins over ``DATABASE_URL``).
        **options: more main options (``version_table=…``).
    """
    from alembic.config import Config

    cmd_opts = argparse.Namespace(x=[f"url={url}"] if url is not None else [])
    config = Config(cmd_opts=cmd_opts)
    config.set_main_option("script_location", SCRIPT_LOCATION.replace("%", "%%"))
    config.set_main_option("path_separator", "space")
    locations = " ".join(
        str(Path(SCRIPT_LOCATION) / d)
        for d in ("versions", "plugins/jwt", "plugins/admin", "plugins/audit", "plugins/rate_limit")
    )
    config.set_main_option("version_locations", locations.replace("%", "%%"))
    for key, value in options.items():
        config.set_main_option(key, value.replace("%", "%%"))
    return config


JWT_VERSION_LOCATION = "fastapi_betterauth:migrations/plugins/jwt"
"""The jwt plugin's revision, for an application's ``version_locations`` (only if it uses the plugin)."""

ADMIN_VERSION_LOCATION = "fastapi_betterauth:migrations/plugins/admin"
"""The admin plugin's revision (its columns), for an application's ``version_locations``."""

RATE_LIMIT_VERSION_LOCATION = "fastapi_betterauth:migrations/plugins/rate_limit"
"""The ``rateLimit`` table's revision (``rate_limit.storage = "database"``), for ``version_locations``."""

JWT_BRANCH_LABEL = "better_auth_jwt"
"""Branch of the jwt plugin's ``jwks`` table (``alembic upgrade better_auth_jwt@head``)."""

PLUGIN_BRANCHES = {
    "jwt": JWT_BRANCH_LABEL,
    "admin": "better_auth_admin",
    "audit": "better_auth_audit",
    "rate-limit": "better_auth_rate_limit",
}
"""Plugin id -> the branch holding its tables."""


def upgrade(url: str, revision: str = "better_auth@head", *, sql: bool = False) -> None:
    """Apply the migrations up to ``revision`` (synchronous; runs its own event loop).

    Args:
        url: database URL (``postgresql://…``, ``postgresql+asyncpg://…`` or ``sqlite+aiosqlite:///…``).
        revision: target revision; the core tables (``"better_auth@head"``) by default; plugin tables
            are their own branches (``"better_auth_jwt@head"``), ``"heads"`` applies everything.
        sql: print the SQL instead of running it (Alembic's offline mode).
    """
    from alembic import command

    command.upgrade(alembic_config(url), revision, sql=sql)


def downgrade(url: str, revision: str = "base", *, sql: bool = False) -> None:
    """Revert the migrations down to ``revision`` (``"base"``: drop the tables)."""
    from alembic import command

    command.downgrade(alembic_config(url), revision, sql=sql)


class StampRefusedError(ConfigurationError):
    """:func:`stamp` would record a revision whose tables or columns the database lacks."""

    def __init__(self, revisions: Sequence[str], missing: Sequence[str]) -> None:
        self.revisions = tuple(revisions)
        self.missing = tuple(missing)
        super().__init__(
            f"refusing to stamp {', '.join(revisions)}: the database lacks {', '.join(missing)}, which "
            f"{'it creates' if len(revisions) == 1 else 'they create'}; stamping records a migration as applied "
            "without running it, so nothing would ever create them. Stamp only what exists and migrate the rest "
            "(`fastapi-betterauth check-schema` prints the commands)."
        )


def stamp(url: str, revision: str | Sequence[str] = "better_auth@head", *, check: bool = True) -> None:
    """Record ``revision`` (or several) as applied without running it.

    For a database whose tables already exist (made by a TypeScript Better Auth server, or by
    ``create_schema()``), so later migrations apply on top of them.

    Args:
        url: database URL.
        revision: ``"better_auth@head"`` (the core tables) by default; plugin branches too, e.g.
            ``["better_auth@head", "better_auth_admin@head"]``.
        check: first compare the database with what the revisions create (see :func:`missing_for`).

    Raises:
        StampRefusedError: (``check``) a table or column the revisions create is missing; stamping would hide
            it for good, since later migrations take it as present.
    """
    revisions = [revision] if isinstance(revision, str) else list(revision)
    if check:
        missing = missing_for(url, revisions)
        if missing:
            raise StampRefusedError(revisions, missing)
    from alembic import command

    config = alembic_config(url)
    for target in revisions:  # one by one: a plugin revision depends on the core one, which Alembic won't
        command.stamp(config, target)  # stamp together with it


def expected_tables(revisions: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Table -> columns of a database once ``revisions`` are applied (the version table left out).

    Found by replaying the revisions on an empty in-memory SQLite database, so it is what the revisions
    really create; names do not depend on the dialect.
    """
    from alembic import command

    from ..schema_check import LiveSchema

    engine = sa.create_engine("sqlite://")
    try:
        with engine.connect() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            for revision in revisions:
                command.upgrade(config, revision)
            live = LiveSchema.read(conn)
    finally:
        engine.dispose()
    return {table: tuple(sorted(columns)) for table, columns in live.columns.items() if table != VERSION_TABLE}


def missing_for(url: str, revisions: Sequence[str]) -> list[str]:
    """What ``revisions`` create that the database at ``url`` lacks: ``"jwks"`` (a table), ``"user.role"`` (a column).

    Synchronous (runs its own event loop), like :func:`upgrade`.
    """
    from ..schema_check import read_live

    expected = expected_tables(revisions)
    live = asyncio.run(read_live(url))
    return [str(item) for item in live.missing(expected)]


def applied_branches(versions: Iterable[str]) -> frozenset[str]:
    """The branch labels applied once ``versions`` (a version table's rows) are: a revision's dependencies count.

    Revisions of other histories (an application's own, sharing ``alembic_version``) are ignored.
    """
    versions = list(versions)
    if not versions:
        return frozenset()
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError

    script = ScriptDirectory.from_config(alembic_config())
    labels: set[str] = set()
    for version in versions:
        try:
            for rev in script.iterate_revisions(version, "base"):
                labels |= rev.branch_labels
        except RevisionError:
            continue
    return frozenset(labels)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic autogenerate hook that leaves Better Auth's tables alone.

    Use it in an application's ``env.py`` (``context.configure(include_object=include_object)``) so
    autogenerate neither drops these tables (absent from the application's metadata) nor alters
    them.
    """
    if type_ == "table":
        return name not in BETTER_AUTH_TABLES
    table = getattr(obj, "table", None)
    return getattr(table, "name", None) not in BETTER_AUTH_TABLES


__all__ = [
    "ALEMBIC_INI",
    "BETTER_AUTH_TABLES",
    "BRANCH_LABEL",
    "CORE_REVISION",
    "SCRIPT_LOCATION",
    "VERSION_LOCATION",
    "VERSION_TABLE",
    "StampRefusedError",
    "alembic_config",
    "applied_branches",
    "async_url",
    "downgrade",
    "expected_tables",
    "include_object",
    "missing_for",
    "stamp",
    "upgrade",
]

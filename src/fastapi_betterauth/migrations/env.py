"""Alembic environment of fastapi-betterauth's standalone migrations (async engines).

The database URL is, in order: ``-x url=…``, the ``DATABASE_URL`` environment variable, the ini's
``sqlalchemy.url``. ``postgresql://`` URLs run on asyncpg; SQLite needs ``sqlite+aiosqlite://``.
A caller may also hand over an open (synchronous) connection as ``config.attributes["connection"]``.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from fastapi_betterauth.errors import ConfigurationError
from fastapi_betterauth.migrations import VERSION_TABLE, async_url

config = context.config
if config.config_file_name is not None and config.file_config.has_section("loggers"):
    # The `alembic` command line; programmatic calls (upgrade()) leave the application's logging alone.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
version_table = config.get_main_option("version_table") or VERSION_TABLE


def database_url() -> str:
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise ConfigurationError("no database URL: pass -x url=..., set DATABASE_URL or sqlalchemy.url")
    return async_url(url)


def run_offline() -> None:
    context.configure(
        url=database_url(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        version_table=version_table,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, version_table=version_table)
    with context.begin_transaction():
        context.run_migrations()


async def run_online(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_on)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
elif isinstance(config.attributes.get("connection"), Connection):
    run_on(config.attributes["connection"])
else:
    asyncio.run(run_online(database_url()))

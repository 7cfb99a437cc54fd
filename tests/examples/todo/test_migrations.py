"""The example's Alembic history (its own `task` table + the library's branches) builds a working database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from examples.todo.app.models import metadata

from .conftest import ORIGIN, TodoWorld, sign_up

pytestmark = pytest.mark.anyio
INI = Path(__file__).parents[3] / "examples" / "todo" / "alembic.ini"


def alembic(url: str, *args: str) -> None:
    config = Config(str(INI))
    config.cmd_opts = type("Opts", (), {"x": [f"url={url}"]})()  # what `alembic -x url=...` sets
    getattr(command, args[0])(config, *args[1:])


async def test_alembic_heads_then_the_app_runs_without_create_schema(world: Callable[[], TodoWorld]) -> None:
    w = world()
    await anyio.to_thread.run_sync(alembic, w.database_url, "upgrade", "heads")
    client = await w.start(create_schema=False)
    await sign_up(client, "a@example.com")
    assert (await client.post("/api/tasks", json={"title": "migrated"}, headers=ORIGIN)).status_code == 201
    assert (await client.get("/api/auth/token")).status_code == 200  # the jwt plugin's jwks table exists

    def columns(connection: sa.Connection) -> dict[str, tuple[str, bool]]:
        found = sa.inspect(connection).get_columns("task")
        return {c["name"]: (type(c["type"]).__name__, c["nullable"]) for c in found}

    async with w.app_engine().connect() as conn:
        migrated = await conn.run_sync(columns)
    assert set(migrated) == set(metadata.tables["task"].columns.keys())
    assert {name for name, (_, nullable) in migrated.items() if nullable} == {"description"}
    await w.stop()
    await anyio.to_thread.run_sync(alembic, w.database_url, "downgrade", "todo@base")

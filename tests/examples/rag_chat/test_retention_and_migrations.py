"""US5 scenario 2 (old data is purged: command and periodic task) and the example's Alembic history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from examples.rag_chat.app import retention
from examples.rag_chat.app.models import conversations, messages

from .conftest import ORIGIN, ExampleWorld, ask, new_conversation, sign_up

pytestmark = pytest.mark.anyio
INI = Path(__file__).parents[3] / "examples" / "rag_chat" / "alembic.ini"


async def age(w: ExampleWorld, conversation_id: str, days: float) -> None:
    async with w.app_engine().begin() as conn:
        await conn.execute(
            sa.update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(updated_at=datetime.now(UTC) - timedelta(days=days))
        )


async def titles(client: httpx.AsyncClient) -> list[str]:
    return sorted(c["title"] for c in (await client.get("/api/conversations")).json()["items"])


async def seed(w: ExampleWorld, client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    old = await new_conversation(client, "old")
    await ask(client, old["id"], "sessions")
    recent = await new_conversation(client, "recent")
    await ask(client, recent["id"], "tokens")
    await age(w, old["id"], 40)
    await age(w, recent["id"], 10)


async def test_us5_2_the_retention_command_purges_old_conversations(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    client = await w.start()
    await seed(w, client)
    code = await anyio.to_thread.run_sync(retention.main, ["--days", "30", "--database-url", w.database_url])
    assert code == 0
    assert await titles(client) == ["recent"]
    async with w.app_engine().connect() as conn:
        left = (await conn.execute(sa.select(sa.func.count()).select_from(messages))).scalar_one()
    assert left == 2  # the old conversation's messages went with it
    # A new message restarts the clock: nothing more goes at 30 days, "recent" goes at 5.
    await anyio.to_thread.run_sync(retention.main, ["--days", "30", "--database-url", w.database_url])
    assert await titles(client) == ["recent"]
    await anyio.to_thread.run_sync(retention.main, ["--days", "5", "--database-url", w.database_url])
    assert await titles(client) == []


async def test_us5_2_the_periodic_task_purges_in_process(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    client = await w.start(options={"retention_days": 30, "purge_interval": 0.05})
    await seed(w, client)
    with anyio.fail_after(10):
        while await titles(client) != ["recent"]:
            await anyio.sleep(0.05)
    await anyio.sleep(0.2)  # later runs keep what is young enough
    assert await titles(client) == ["recent"]


def test_retention_refuses_a_non_positive_age() -> None:
    with pytest.raises(SystemExit):
        retention.main(["--days", "0", "--database-url", "sqlite+aiosqlite:///unused.db"])


def alembic(url: str, *args: str) -> None:
    config = Config(str(INI))
    config.cmd_opts = type("Opts", (), {"x": [f"url={url}"]})()
    getattr(command, args[0])(config, *args[1:])


async def test_alembic_heads_then_the_app_runs_without_create_schema(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    await anyio.to_thread.run_sync(alembic, w.database_url, "upgrade", "heads")
    client = await w.start(create_schema=False)
    await sign_up(client, "ada@example.com")
    c = await new_conversation(client, "migrated")
    assert (await ask(client, c["id"], "roles"))["answer"]["sources"]
    assert (await client.delete(f"/api/conversations/{c['id']}", headers=ORIGIN)).status_code == 204
    await w.stop()
    await anyio.to_thread.run_sync(alembic, w.database_url, "downgrade", "rag_chat@base")

"""The admin-only task view (``require_role``), account deletion purging tasks, and JSON-only errors."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from .conftest import ORIGIN, TodoWorld, sign_up

pytestmark = pytest.mark.anyio


async def test_admin_view_across_users_needs_the_admin_role(world: Callable[[], TodoWorld]) -> None:
    w = world()
    alice = await w.start()
    boss = await w.client()
    await sign_up(alice, "alice@example.com")
    boss_user = (await sign_up(boss, "boss@example.com"))["user"]
    for title in ("a1", "a2"):
        await alice.post("/api/tasks", json={"title": title}, headers=ORIGIN)
    await boss.post("/api/tasks", json={"title": "b1"}, headers=ORIGIN)

    anonymous = await w.client()
    assert (await anonymous.get("/api/admin/tasks")).status_code == 401
    denied = await boss.get("/api/admin/tasks")
    assert denied.status_code == 403 and set(denied.json()) == {"message", "code"}

    # The role change applies on the very next request: no sign-in again, no cache.
    await w.app_auth().store.update_user(boss_user["id"], {"role": "admin"})
    r = await boss.get("/api/admin/tasks")
    assert r.status_code == 200 and [t["title"] for t in r.json()] == ["a1", "a2", "b1"]
    alice_id = r.json()[0]["user_id"]
    only_alice = await boss.get("/api/admin/tasks", params={"user_id": alice_id, "limit": 1, "offset": 1})
    assert [t["title"] for t in only_alice.json()] == ["a2"]
    assert (await boss.get("/api/admin/tasks", params={"status": "completed"})).json() == []
    assert (await boss.get("/api/admin/tasks", params={"status": "bogus"})).status_code == 400
    assert (await boss.get("/api/admin/tasks", params={"limit": 0})).status_code == 422

    # Admins see everything here but still only their own tasks under /api/tasks.
    assert [t["title"] for t in (await boss.get("/api/tasks")).json()] == ["b1"]
    await w.app_auth().store.update_user(boss_user["id"], {"role": "user"})
    assert (await boss.get("/api/admin/tasks")).status_code == 403


async def test_deleting_the_account_deletes_its_tasks(world: Callable[[], TodoWorld]) -> None:
    w = world()
    alice = await w.start()
    bob = await w.client()
    await sign_up(alice, "alice@example.com")
    await sign_up(bob, "bob@example.com")
    for i in range(3):
        await alice.post("/api/tasks", json={"title": f"a{i}"}, headers=ORIGIN)
    await bob.post("/api/tasks", json={"title": "b"}, headers=ORIGIN)
    r = await alice.post("/api/auth/delete-user", json={"password": "password123"}, headers=ORIGIN)
    assert r.status_code == 200 and r.json() == {"success": True, "message": "User deleted"}
    async with w.app_engine().connect() as conn:
        from sqlalchemy import select

        from examples.todo.app.models import tasks

        owners = (await conn.execute(select(tasks.c.user_id, tasks.c.title))).all()
    assert [title for _, title in owners] == ["b"]
    assert [t["title"] for t in (await bob.get("/api/tasks")).json()] == ["b"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/nothing-here"), ("POST", "/api/tasks/1"), ("DELETE", "/api/tasks"), ("GET", "/api/tasks/1/x")],
)
async def test_unknown_routes_and_methods_answer_json(todo: httpx.AsyncClient, method: str, path: str) -> None:
    await sign_up(todo, "a@example.com")
    r = await todo.request(method, path, headers=ORIGIN)
    assert r.status_code in (404, 405) and r.headers["content-type"] == "application/json"


async def test_a_database_error_is_a_json_500_without_sql(world: Callable[[], TodoWorld]) -> None:
    """A broken schema is a bug, not an outage: 500 in the app's one error shape, no traceback, no SQL.

    (An outage proper, a 503 with Retry-After, is tests/ops/test_database_outage.py.)
    """
    w = world()
    client = await w.start()
    await sign_up(client, "a@example.com")
    async with w.app_engine().begin() as conn:
        from sqlalchemy import text

        await conn.execute(text("DROP TABLE task"))
    r = await client.get("/api/tasks")
    assert (r.status_code, r.json()) == (500, {"message": "Internal Server Error", "code": "INTERNAL_SERVER_ERROR"})
    body = r.text.lower()
    assert "select" not in body and "traceback" not in body and "task" not in body


async def test_cors_lets_the_frontend_read_the_token_headers(todo: httpx.AsyncClient) -> None:
    r = await todo.options(
        "/api/tasks",
        headers={**ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"},
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ORIGIN["Origin"]
    assert r.headers["access-control-allow-credentials"] == "true"
    other = await todo.options(
        "/api/tasks", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in other.headers

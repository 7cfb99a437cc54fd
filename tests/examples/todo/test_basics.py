"""The todo demo: tasks are per user, and anonymous callers get Better Auth's 401."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from examples.todo.app.main import create_app
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio
ORIGIN = {"Origin": "http://localhost:3000"}


@pytest.fixture
async def todo(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(), database_url=f"sqlite+aiosqlite:///{tmp_path}/todo.db")
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as c:
            yield c


async def _user(client: httpx.AsyncClient, email: str) -> None:
    r = await client.post("/api/auth/sign-up/email", json={"email": email, "password": "password123", "name": email})
    assert r.status_code == 200


async def test_tasks_are_private_and_need_a_session(todo: httpx.AsyncClient) -> None:
    assert (await todo.get("/api/tasks")).json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}
    await _user(todo, "a@example.com")
    created = await todo.post("/api/tasks", json={"title": "Buy milk"}, headers=ORIGIN)
    assert created.status_code == 201
    task_id = created.json()["id"]
    assert (await todo.patch(f"/api/tasks/{task_id}/complete", headers=ORIGIN)).json()["completed"] is True
    assert [t["title"] for t in (await todo.get("/api/tasks?status=completed")).json()] == ["Buy milk"]

    todo.cookies.clear()
    await _user(todo, "b@example.com")
    assert (await todo.get(f"/api/tasks/{task_id}")).status_code == 404
    assert (await todo.delete(f"/api/tasks/{task_id}", headers=ORIGIN)).status_code == 404
    assert (await todo.get("/api/tasks")).json() == []


async def test_swagger_ui_and_openapi(todo: httpx.AsyncClient) -> None:
    assert (await todo.get("/docs")).status_code == 200
    paths = (await todo.get("/openapi.json")).json()["paths"]
    assert "/api/tasks" in paths and "/api/auth/sign-in/email" in paths


async def test_the_task_list_has_a_bounded_page(todo: httpx.AsyncClient) -> None:
    """Review finding 8: list routes have an upper bound on their page size."""
    await _user(todo, "pages@example.com")
    for n in range(5):
        assert (await todo.post("/api/tasks", json={"title": f"t{n}"}, headers=ORIGIN)).status_code == 201
    assert [t["title"] for t in (await todo.get("/api/tasks", params={"limit": 2, "offset": 1})).json()] == ["t1", "t2"]
    assert len((await todo.get("/api/tasks")).json()) == 5
    too_many = await todo.get("/api/tasks", params={"limit": 1001})
    assert too_many.status_code == 422

"""Every acceptance scenario and edge case of seed 002 (the todo API), on SQLite and PostgreSQL.

Scenario ids follow the seed: ``us1_3`` is user story 1, acceptance scenario 3.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from .conftest import ORIGIN, TodoWorld, sign_up

pytestmark = pytest.mark.anyio
INVALID_STATUS = "Invalid status filter: must be 'pending', 'completed', or 'all'"


async def create(client: httpx.AsyncClient, title: str = "Buy milk", **fields: Any) -> dict[str, Any]:
    r = await client.post("/api/tasks", json={"title": title, **fields}, headers=ORIGIN)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def two_users(world: Callable[[], TodoWorld]) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    w = world()
    alice = await w.start()
    bob = await w.client()
    await sign_up(alice, "alice@example.com")
    await sign_up(bob, "bob@example.com")
    return alice, bob


# User story 1: create and view tasks


async def test_us1_1_create_returns_201_with_the_task(todo: httpx.AsyncClient) -> None:
    user = (await sign_up(todo, "a@example.com"))["user"]
    task = await create(todo, "Buy milk", description="2 litres")
    assert task["title"] == "Buy milk" and task["description"] == "2 litres" and task["completed"] is False
    assert task["user_id"] == user["id"] and isinstance(task["id"], int)
    assert task["created_at"] == task["updated_at"]
    created = datetime.fromisoformat(task["created_at"])
    assert created.utcoffset() == timedelta(0) and abs(datetime.now(UTC) - created) < timedelta(minutes=1)


async def test_us1_2_three_tasks_listed(todo: httpx.AsyncClient) -> None:
    await sign_up(todo, "a@example.com")
    for title in ("one", "two", "three"):
        await create(todo, title)
    r = await todo.get("/api/tasks")
    assert r.status_code == 200
    assert [t["title"] for t in r.json()] == ["one", "two", "three"]


async def test_us1_3_own_task_by_id(todo: httpx.AsyncClient) -> None:
    await sign_up(todo, "a@example.com")
    task = await create(todo)
    r = await todo.get(f"/api/tasks/{task['id']}")
    assert r.status_code == 200 and r.json() == task


async def test_us1_4_other_users_task_is_404(world: Callable[[], TodoWorld]) -> None:
    alice, bob = await two_users(world)
    task = await create(alice)
    r = await bob.get(f"/api/tasks/{task['id']}")
    assert r.status_code == 404 and r.json() == {"message": "Task not found", "code": "TASK_NOT_FOUND"}


async def test_us1_5_no_token_is_401(todo: httpx.AsyncClient) -> None:
    r = await todo.get("/api/tasks")
    assert r.status_code == 401
    assert r.json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}
    assert r.headers["www-authenticate"] == "Bearer"
    for method, path in [
        ("POST", "/api/tasks"),
        ("GET", "/api/tasks/1"),
        ("PUT", "/api/tasks/1"),
        ("PATCH", "/api/tasks/1/complete"),
        ("DELETE", "/api/tasks/1"),
    ]:
        assert (await todo.request(method, path, json={"title": "x"}, headers=ORIGIN)).status_code == 401


# User story 2: update and complete


async def test_us2_1_owner_updates_with_put(todo: httpx.AsyncClient) -> None:
    await sign_up(todo, "a@example.com")
    task = await create(todo, "draft", description="old")
    r = await todo.put(f"/api/tasks/{task['id']}", json={"title": "final", "description": None}, headers=ORIGIN)
    assert r.status_code == 200
    body = r.json()
    assert body["title"] == "final" and body["description"] is None and body["completed"] is False
    assert body["created_at"] == task["created_at"] and body["updated_at"] > task["updated_at"]
    assert (await todo.get(f"/api/tasks/{task['id']}")).json() == body


async def test_us2_2_and_3_patch_toggles_completion(todo: httpx.AsyncClient) -> None:
    await sign_up(todo, "a@example.com")
    task = await create(todo)
    first = await todo.patch(f"/api/tasks/{task['id']}/complete", headers=ORIGIN)
    assert first.status_code == 200 and first.json()["completed"] is True
    second = await todo.patch(f"/api/tasks/{task['id']}/complete", headers=ORIGIN)
    assert second.status_code == 200 and second.json()["completed"] is False
    assert (await todo.get(f"/api/tasks/{task['id']}")).json()["completed"] is False


async def test_us2_4_non_owner_put_is_404_and_changes_nothing(world: Callable[[], TodoWorld]) -> None:
    alice, bob = await two_users(world)
    task = await create(alice, "mine")
    r = await bob.put(f"/api/tasks/{task['id']}", json={"title": "stolen"}, headers=ORIGIN)
    assert r.status_code == 404
    assert (await bob.patch(f"/api/tasks/{task['id']}/complete", headers=ORIGIN)).status_code == 404
    assert (await alice.get(f"/api/tasks/{task['id']}")).json() == task


@pytest.mark.parametrize("title", ["", "   ", None, "x" * 201])
async def test_us2_5_bad_title_on_put_is_422(todo: httpx.AsyncClient, title: str | None) -> None:
    await sign_up(todo, "a@example.com")
    task = await create(todo, "keep")
    r = await todo.put(f"/api/tasks/{task['id']}", json={"title": title}, headers=ORIGIN)
    assert r.status_code == 422
    assert r.json()["code"] == "VALIDATION_ERROR" and r.json()["errors"][0]["loc"] == ["body", "title"]
    assert (await todo.get(f"/api/tasks/{task['id']}")).json()["title"] == "keep"


# User story 3: delete


async def test_us3_1_and_2_delete_then_404(todo: httpx.AsyncClient) -> None:
    await sign_up(todo, "a@example.com")
    task = await create(todo)
    r = await todo.delete(f"/api/tasks/{task['id']}", headers=ORIGIN)
    assert r.status_code == 204 and r.content == b""
    assert (await todo.get(f"/api/tasks/{task['id']}")).status_code == 404
    assert (await todo.delete(f"/api/tasks/{task['id']}", headers=ORIGIN)).status_code == 404


async def test_us3_3_non_owner_delete_is_404(world: Callable[[], TodoWorld]) -> None:
    alice, bob = await two_users(world)
    task = await create(alice)
    assert (await bob.delete(f"/api/tasks/{task['id']}", headers=ORIGIN)).status_code == 404
    assert (await alice.get(f"/api/tasks/{task['id']}")).status_code == 200


# User story 4: multi-user isolation


async def test_us4_1_and_2_and_3_each_user_sees_and_touches_only_their_own(world: Callable[[], TodoWorld]) -> None:
    alice, bob = await two_users(world)
    a_tasks = [await create(alice, f"alice {i}") for i in range(3)]
    b_tasks = [await create(bob, f"bob {i}") for i in range(2)]
    assert [t["id"] for t in (await alice.get("/api/tasks")).json()] == [t["id"] for t in a_tasks]
    assert [t["id"] for t in (await bob.get("/api/tasks")).json()] == [t["id"] for t in b_tasks]
    for task in b_tasks:
        for method, path in [("GET", ""), ("PUT", ""), ("PATCH", "/complete"), ("DELETE", "")]:
            r = await alice.request(method, f"/api/tasks/{task['id']}{path}", json={"title": "x"}, headers=ORIGIN)
            assert r.status_code == 404, (method, path)
    assert (await bob.get("/api/tasks")).json() == b_tasks


async def test_us4_4_restart_keeps_tasks_and_isolation(world: Callable[[], TodoWorld]) -> None:
    first = world()
    alice = await first.start()
    bob = await first.client()
    await sign_up(alice, "alice@example.com")
    await sign_up(bob, "bob@example.com")
    a_task = await create(alice, "survives")
    await create(bob, "bob's")
    cookies = {"alice": dict(alice.cookies), "bob": dict(bob.cookies)}
    await first.stop()  # the application shuts down: lifespan exit, engine disposed

    second = world()
    alice2 = await second.start()
    bob2 = await second.client()
    # Sessions live in the database too: the same cookies still work after the restart.
    alice2.cookies.update(cookies["alice"])
    bob2.cookies.update(cookies["bob"])
    assert (await alice2.get("/api/tasks")).json() == [a_task]
    assert [t["title"] for t in (await bob2.get("/api/tasks")).json()] == ["bob's"]
    assert (await bob2.get(f"/api/tasks/{a_task['id']}")).status_code == 404
    # And signing in afresh reaches the same data.
    fresh = await second.client()
    r = await fresh.post(
        "/api/auth/sign-in/email", json={"email": "alice@example.com", "password": "password123"}, headers=ORIGIN
    )
    assert r.status_code == 200
    assert (await fresh.get("/api/tasks")).json() == [a_task]


# User story 5: filter by status


async def test_us5_filters(todo: httpx.AsyncClient) -> None:
    await sign_up(todo, "a@example.com")
    await create(todo, "p1")
    await create(todo, "p2")
    done = await create(todo, "c1")
    await todo.patch(f"/api/tasks/{done['id']}/complete", headers=ORIGIN)
    titles = {}
    for value in ("pending", "completed", "all"):
        r = await todo.get("/api/tasks", params={"status": value})
        assert r.status_code == 200
        titles[value] = [t["title"] for t in r.json()]
    assert titles == {"pending": ["p1", "p2"], "completed": ["c1"], "all": ["p1", "p2", "c1"]}
    assert [t["title"] for t in (await todo.get("/api/tasks")).json()] == titles["all"]


@pytest.mark.parametrize("value", ["archive", "", "ALL", "pending "])
async def test_fr005_unknown_status_is_400_with_the_seed_message(todo: httpx.AsyncClient, value: str) -> None:
    await sign_up(todo, "a@example.com")
    r = await todo.get("/api/tasks", params={"status": value})
    assert r.status_code == 400 and r.json() == {"message": INVALID_STATUS, "code": "INVALID_STATUS"}


# Edge cases


async def test_edge_nonexistent_task_is_404(todo: httpx.AsyncClient) -> None:
    await sign_up(todo, "a@example.com")
    for task_id in ("999999", str(2**31 - 1)):
        assert (await todo.get(f"/api/tasks/{task_id}")).status_code == 404
    # Ids no task can have are refused before the database sees them (no integer overflow).
    for task_id in ("0", "-1", str(2**31), str(2**80), "abc", "1.5"):
        r = await todo.get(f"/api/tasks/{task_id}")
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["path", "task_id"], task_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({}, "title"),
        ({"title": 5}, "title"),
        ({"title": "ok", "completed": "maybe"}, "completed"),
        ({"title": "ok", "owner": "someone-else"}, "owner"),
        ({"title": "ok", "user_id": "someone-else"}, "user_id"),
    ],
)
async def test_edge_bad_create_is_422(todo: httpx.AsyncClient, body: dict[str, Any], field: str) -> None:
    await sign_up(todo, "a@example.com")
    r = await todo.post("/api/tasks", json=body, headers=ORIGIN)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == field
    assert (await todo.get("/api/tasks")).json() == []


async def test_edge_title_of_exactly_200_and_null_description_accepted(todo: httpx.AsyncClient) -> None:
    await sign_up(todo, "a@example.com")
    task = await create(todo, "x" * 200, description=None)
    assert len(task["title"]) == 200 and task["description"] is None


async def test_edge_malformed_json_is_a_json_422(todo: httpx.AsyncClient) -> None:
    await sign_up(todo, "a@example.com")
    r = await todo.post("/api/tasks", content=b"{not json", headers={**ORIGIN, "content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"


async def test_edge_50_concurrent_requests_all_succeed_without_loss(world: Callable[[], TodoWorld]) -> None:
    """SC-006: 60 concurrent creates by 3 users, then 60 concurrent toggles and updates; nothing lost or leaked."""
    w = world()
    first = await w.start()
    clients = [first, await w.client(), await w.client()]
    await asyncio.gather(*(sign_up(c, f"user{i}@example.com") for i, c in enumerate(clients)))

    created = await asyncio.gather(*(create(clients[i % 3], f"task {i}") for i in range(60)))
    assert len({t["id"] for t in created}) == 60
    for i, client in enumerate(clients):
        listed = (await client.get("/api/tasks")).json()
        assert sorted(t["title"] for t in listed) == sorted(f"task {j}" for j in range(60) if j % 3 == i)

    async def mutate(i: int) -> httpx.Response:
        task, client = created[i], clients[i % 3]
        if i % 2:
            return await client.patch(f"/api/tasks/{task['id']}/complete", headers=ORIGIN)
        return await client.put(f"/api/tasks/{task['id']}", json={"description": f"note {i}"}, headers=ORIGIN)

    results = await asyncio.gather(*(mutate(i) for i in range(60)))
    assert [r.status_code for r in results] == [200] * 60
    for i, client in enumerate(clients):
        listed = {t["title"]: t for t in (await client.get("/api/tasks")).json()}
        for j in range(i, 60, 3):
            t = listed[f"task {j}"]
            assert (t["completed"], t["description"]) == ((True, None) if j % 2 else (False, f"note {j}"))


async def test_sc008_swagger_documents_the_six_task_endpoints(todo: httpx.AsyncClient) -> None:
    assert (await todo.get("/docs")).status_code == 200
    paths = (await todo.get("/openapi.json")).json()["paths"]
    operations = {(m.upper(), p) for p, item in paths.items() if p.startswith("/api/tasks") for m in item}
    assert operations == {
        ("GET", "/api/tasks"),
        ("POST", "/api/tasks"),
        ("GET", "/api/tasks/{task_id}"),
        ("PUT", "/api/tasks/{task_id}"),
        ("DELETE", "/api/tasks/{task_id}"),
        ("PATCH", "/api/tasks/{task_id}/complete"),
    }
    security = paths["/api/tasks"]["get"]["security"]
    assert {"BetterAuthBearer": []} in security and {"BetterAuthSessionCookie": []} in security

"""Every acceptance scenario and edge case of seed 004 (RAG chat), on SQLite and PostgreSQL.

Scenario ids follow the seed: ``us3_2`` is user story 3, acceptance scenario 2.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt as pyjwt
import pytest
import sqlalchemy as sa

from examples.rag_chat.app.generator import NO_ANSWER
from examples.rag_chat.app.models import conversations, messages

from .conftest import ORIGIN, ExampleWorld, ask, new_conversation, sign_up

pytestmark = pytest.mark.anyio
CREDENTIALS = {"email": "ada@example.com", "password": "password123"}


async def rows(world: ExampleWorld, table: sa.Table) -> list[Any]:
    async with world.app_engine().connect() as conn:
        return list((await conn.execute(sa.select(table))).all())


# User story 1: authentication and sessions


async def test_us1_1_sign_up_creates_the_account_and_a_session(chat: httpx.AsyncClient) -> None:
    body = await sign_up(chat, CREDENTIALS["email"])
    assert body["user"]["email"] == CREDENTIALS["email"] and body["token"]
    me = await chat.get("/api/me")
    assert me.status_code == 200 and me.json()["user"]["id"] == body["user"]["id"] and me.json()["via"] == "cookie"


async def test_us1_2_sign_in_establishes_a_session(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    first = await w.start()
    await sign_up(first, CREDENTIALS["email"])
    other = await w.client()
    assert (await other.get("/api/me")).status_code == 401
    r = await other.post("/api/auth/sign-in/email", json=CREDENTIALS, headers=ORIGIN)
    assert r.status_code == 200
    assert (await other.get("/api/me")).json()["user"]["email"] == CREDENTIALS["email"]


async def test_us1_3_returning_later_the_session_is_still_valid(world: Callable[[], ExampleWorld]) -> None:
    """The user comes back after the server restarted and a day passed: same cookie, still signed in."""
    w = world()
    client = await w.start()
    user_id = (await sign_up(client, CREDENTIALS["email"]))["user"]["id"]
    cookies = dict(client.cookies)
    # A day later (the session is 7 days long; moving its start back is what a day of waiting does).
    async with w.app_engine().begin() as conn:
        await conn.execute(
            sa.text('UPDATE "session" SET "expiresAt" = :at WHERE "userId" = :uid').bindparams(
                at=datetime.now(UTC) + timedelta(days=6), uid=user_id
            )
        )
    await w.stop()
    later = world()
    back = await later.start()
    back.cookies.update(cookies)
    r = await back.get("/api/me")
    assert r.status_code == 200 and r.json()["user"]["id"] == user_id


# User story 2: only authenticated users chat


async def test_us2_1_unauthenticated_callers_are_refused(chat: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/api/conversations"),
        ("POST", "/api/conversations"),
        ("GET", "/api/conversations/x"),
        ("PATCH", "/api/conversations/x"),
        ("DELETE", "/api/conversations/x"),
        ("DELETE", "/api/conversations"),
        ("GET", "/api/conversations/x/messages"),
        ("POST", "/api/conversations/x/messages"),
        ("GET", "/api/me"),
    ]:
        r = await chat.request(method, path, json={"title": "t", "content": "c"}, headers=ORIGIN)
        assert r.status_code == 401, (method, path)
        assert r.json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}


async def test_us2_2_an_authenticated_user_chats_with_sources(chat: httpx.AsyncClient) -> None:
    await sign_up(chat, CREDENTIALS["email"])
    conversation = await new_conversation(chat, "Sessions")
    exchange = await ask(chat, conversation["id"], "How long do sessions last?")
    question, answer = exchange["question"], exchange["answer"]
    assert question["role"] == "user" and question["content"] == "How long do sessions last?"
    assert answer["role"] == "assistant" and "seven days" in answer["content"]
    assert answer["sources"][0]["document_id"] == "sessions" and answer["sources"][0]["score"] > 0
    assert answer["metadata"]["generator"] == "extractive-bm25" and answer["metadata"]["ranker"] == "bm25"
    unknown = await ask(chat, conversation["id"], "quantum chromodynamics")
    assert unknown["answer"]["content"] == NO_ANSWER and unknown["answer"]["sources"] == []


async def test_us2_3_an_expired_session_must_sign_in_again(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    client = await w.start()
    await sign_up(client, CREDENTIALS["email"])
    conversation = await new_conversation(client)
    async with w.app_engine().begin() as conn:
        await conn.execute(sa.text('UPDATE "session" SET "expiresAt" = :at').bindparams(at=datetime.now(UTC)))
    r = await client.post(
        f"/api/conversations/{conversation['id']}/messages", json={"content": "hello"}, headers=ORIGIN
    )
    assert r.status_code == 401
    assert (await client.post("/api/auth/sign-in/email", json=CREDENTIALS, headers=ORIGIN)).status_code == 200
    assert (await ask(client, conversation["id"], "hello"))["answer"]["role"] == "assistant"


# User story 3: persistence


async def test_us3_1_messages_are_stored_linked_to_the_user(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    client = await w.start()
    user_id = (await sign_up(client, CREDENTIALS["email"]))["user"]["id"]
    conversation = await new_conversation(client, "Passwords")
    await ask(client, conversation["id"], "How are passwords hashed?")
    stored = await rows(w, messages)
    assert [(m.role, m.user_id, m.conversation_id) for m in stored] == [
        ("user", user_id, conversation["id"]),
        ("assistant", user_id, conversation["id"]),
    ]
    assert stored[1].sources[0]["document_id"] == "passwords"  # JSON column round-trips
    (row,) = await rows(w, conversations)
    assert row.user_id == user_id and row.metadata["retrieval"] == {"ranker": "bm25", "k": 3}


async def test_us3_2_history_is_there_in_a_later_session(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    client = await w.start()
    await sign_up(client, CREDENTIALS["email"])
    conversation = await new_conversation(client, "Tokens")
    await ask(client, conversation["id"], "What is a JWT?")
    await client.post("/api/auth/sign-out", headers=ORIGIN)
    await w.stop()
    later = world()
    again = await later.start()
    await again.post("/api/auth/sign-in/email", json=CREDENTIALS, headers=ORIGIN)
    listed = (await again.get("/api/conversations")).json()
    assert [c["title"] for c in listed["items"]] == ["Tokens"] and listed["items"][0]["message_count"] == 2
    detail = (await again.get(f"/api/conversations/{conversation['id']}")).json()
    assert detail["messages"][0]["content"] == "What is a JWT?"


async def test_us3_3_queries_are_indexed(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    await w.start()

    def indexes(connection: sa.Connection) -> dict[str, list[list[str]]]:
        inspector = sa.inspect(connection)
        return {t: [i["column_names"] for i in inspector.get_indexes(t)] for t in ("conversation", "message")}

    async with w.app_engine().connect() as conn:
        found = await conn.run_sync(indexes)
    assert ["user_id", "updated_at"] in found["conversation"] and ["updated_at"] in found["conversation"]
    assert ["conversation_id", "id"] in found["message"] and ["user_id"] in found["message"]


# User story 4: viewing past conversations


async def test_us4_1_history_lists_conversations_newest_first_with_pages(chat: httpx.AsyncClient) -> None:
    await sign_up(chat, CREDENTIALS["email"])
    ids = [(await new_conversation(chat, f"c{i}"))["id"] for i in range(5)]
    await ask(chat, ids[1], "bump this one")  # activity moves it to the top
    first = (await chat.get("/api/conversations", params={"limit": 2})).json()
    assert first["total"] == 5 and first["limit"] == 2 and first["offset"] == 0
    assert [c["title"] for c in first["items"]] == ["c1", "c4"]
    rest = (await chat.get("/api/conversations", params={"limit": 2, "offset": 2})).json()
    assert [c["title"] for c in rest["items"]] == ["c3", "c2"]
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"}):
        assert (await chat.get("/api/conversations", params=bad)).status_code == 422


async def test_us4_2_selecting_a_conversation_shows_its_messages(chat: httpx.AsyncClient) -> None:
    await sign_up(chat, CREDENTIALS["email"])
    conversation = await new_conversation(chat, "Roles")
    for question in ("What can admins do?", "What does a ban do?", "How do I check a role?"):
        await ask(chat, conversation["id"], question)
    detail = (await chat.get(f"/api/conversations/{conversation['id']}")).json()
    assert detail["title"] == "Roles" and detail["message_count"] == 6
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"] * 3
    page = (
        await chat.get(f"/api/conversations/{conversation['id']}/messages", params={"limit": 2, "offset": 2})
    ).json()
    assert page["total"] == 6 and page["items"][0]["content"] == "What does a ban do?"
    short = (await chat.get(f"/api/conversations/{conversation['id']}", params={"message_limit": 1})).json()
    assert len(short["messages"]) == 1 and short["message_count"] == 6


async def test_us4_3_keyword_search_filters_conversations(chat: httpx.AsyncClient) -> None:
    await sign_up(chat, CREDENTIALS["email"])
    a = await new_conversation(chat, "About sessions")
    b = await new_conversation(chat, "Misc")
    await new_conversation(chat, "Empty")
    await ask(chat, b["id"], "Tell me about the retention policy")

    async def search(q: str) -> list[str]:
        r = await chat.get("/api/conversations", params={"q": q})
        assert r.status_code == 200
        return [c["id"] for c in r.json()["items"]]

    assert await search("SESSIONS") == [a["id"]]
    assert await search("retention") == [b["id"]]
    assert await search("retention policy") == [b["id"]]  # every word must match
    assert await search("retention sessions") == []
    assert await search("%") == [] and await search("_") == []  # LIKE wildcards are literal
    hit = (await chat.get("/api/conversations", params={"q": "policy"})).json()["items"][0]
    assert "retention policy" in hit["snippet"]


# User story 5: privacy, retention, deletion


async def test_us5_1_user_deletes_one_or_all_conversations(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    client = await w.start()
    await sign_up(client, CREDENTIALS["email"])
    keep, drop = await new_conversation(client, "keep"), await new_conversation(client, "drop")
    await ask(client, drop["id"], "sessions")
    r = await client.delete(f"/api/conversations/{drop['id']}", headers=ORIGIN)
    assert r.status_code == 204
    assert (await client.get(f"/api/conversations/{drop['id']}")).status_code == 404
    assert [m.conversation_id for m in await rows(w, messages)] == []
    await ask(client, keep["id"], "tokens")
    r = await client.delete("/api/conversations", headers=ORIGIN)
    assert r.status_code == 200 and r.json() == {"deleted": 1}
    assert await rows(w, conversations) == [] and await rows(w, messages) == []


async def test_us5_3_account_deletion_removes_all_chat_data(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    ada = await w.start()
    bob = await w.client()
    await sign_up(ada, CREDENTIALS["email"])
    bob_id = (await sign_up(bob, "bob@example.com"))["user"]["id"]
    for title in ("one", "two"):
        await ask(ada, (await new_conversation(ada, title))["id"], "privacy")
    await ask(bob, (await new_conversation(bob, "bob's"))["id"], "roles")
    r = await ada.post("/api/auth/delete-user", json={"password": "password123"}, headers=ORIGIN)
    assert r.status_code == 200
    assert {c.user_id for c in await rows(w, conversations)} == {bob_id}
    assert {m.user_id for m in await rows(w, messages)} == {bob_id}
    assert (await ada.get("/api/conversations")).status_code == 401
    r = await ada.post("/api/auth/sign-in/email", json=CREDENTIALS, headers=ORIGIN)
    assert r.status_code == 401


# Edge cases


async def test_edge_invalid_or_expired_jwt_mid_chat_is_401(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    client = await w.start()
    await sign_up(client, CREDENTIALS["email"])
    conversation = await new_conversation(client)
    token = (await client.get("/api/auth/token")).json()["token"]
    api = await w.client()
    auth = {"Authorization": f"Bearer {token}"}
    assert (await ask(api, conversation["id"], "roles", **auth))["answer"]["sources"]  # FR-004: JWKS-verified JWT
    claims = pyjwt.decode(token, options={"verify_signature": False})
    forged = pyjwt.encode({**claims, "exp": int(time.time()) - 10}, "not-the-key-0123456789abcdefghijklmnop", "HS256")
    for bad in (forged, token[:-4] + "AAAA", "garbage"):
        r = await api.get("/api/conversations", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401 and "www-authenticate" in r.headers


async def test_edge_other_users_conversations_are_404_everywhere(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    ada = await w.start()
    eve = await w.client()
    await sign_up(ada, CREDENTIALS["email"])
    await sign_up(eve, "eve@example.com")
    secret = await new_conversation(ada, "secret plans")
    await ask(ada, secret["id"], "passwords")
    cid = secret["id"]
    for method, path, body in [
        ("GET", f"/api/conversations/{cid}", None),
        ("PATCH", f"/api/conversations/{cid}", {"title": "mine now"}),
        ("DELETE", f"/api/conversations/{cid}", None),
        ("GET", f"/api/conversations/{cid}/messages", None),
        ("POST", f"/api/conversations/{cid}/messages", {"content": "hi"}),
    ]:
        r = await eve.request(method, path, json=body, headers=ORIGIN)
        assert r.status_code == 404 and r.json() == {
            "message": "Conversation not found",
            "code": "CONVERSATION_NOT_FOUND",
        }, (method, path)
    assert (await eve.get("/api/conversations", params={"q": "secret"})).json()["items"] == []
    assert (await eve.delete("/api/conversations", headers=ORIGIN)).json() == {"deleted": 0}
    detail = (await ada.get(f"/api/conversations/{cid}")).json()
    assert detail["title"] == "secret plans" and detail["message_count"] == 2


async def test_edge_concurrent_messages_to_one_conversation_are_all_kept(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    first = await w.start()
    await sign_up(first, CREDENTIALS["email"])
    conversation = await new_conversation(first)
    tabs = [first, await w.client(), await w.client()]
    for tab in tabs[1:]:
        tab.cookies.update(first.cookies)  # the same user in three browser tabs
    results = await asyncio.gather(*(ask(tabs[i % 3], conversation["id"], f"question {i}") for i in range(30)))
    assert len(results) == 30
    page = (await first.get(f"/api/conversations/{conversation['id']}/messages", params={"limit": 100})).json()
    assert page["total"] == 60
    items = page["items"]
    assert sorted(m["content"] for m in items if m["role"] == "user") == sorted(f"question {i}" for i in range(30))
    # Each answer directly follows its question: exchanges are stored atomically, never interleaved.
    assert all(items[i]["role"] == "user" and items[i + 1]["role"] == "assistant" for i in range(0, 60, 2))


async def test_edge_deleting_while_answering_leaves_no_orphans(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    client = await w.start()
    await sign_up(client, CREDENTIALS["email"])
    conversation = await new_conversation(client)
    results = await asyncio.gather(
        *(
            client.post(f"/api/conversations/{conversation['id']}/messages", json={"content": f"q{i}"}, headers=ORIGIN)
            for i in range(10)
        ),
        client.delete(f"/api/conversations/{conversation['id']}", headers=ORIGIN),
    )
    assert {r.status_code for r in results[:-1]} <= {201, 404} and results[-1].status_code == 204
    assert await rows(w, messages) == [] and await rows(w, conversations) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": ""}, "content"),
        ({"content": "  "}, "content"),
        ({"content": "x" * 4001}, "content"),
        ({}, "content"),
        ({"content": "ok", "role": "assistant"}, "role"),
    ],
)
async def test_edge_bad_messages_are_422(chat: httpx.AsyncClient, body: dict[str, Any], field: str) -> None:
    await sign_up(chat, CREDENTIALS["email"])
    conversation = await new_conversation(chat)
    r = await chat.post(f"/api/conversations/{conversation['id']}/messages", json=body, headers=ORIGIN)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == field


async def test_rename_and_title_validation(chat: httpx.AsyncClient) -> None:
    await sign_up(chat, CREDENTIALS["email"])
    conversation = await new_conversation(chat)
    assert conversation["title"] == "New conversation"
    r = await chat.patch(f"/api/conversations/{conversation['id']}", json={"title": "  Renamed  "}, headers=ORIGIN)
    assert r.status_code == 200 and r.json()["title"] == "Renamed"
    for bad in ("", "x" * 201, None):
        r = await chat.patch(f"/api/conversations/{conversation['id']}", json={"title": bad}, headers=ORIGIN)
        assert r.status_code == 422
    assert (await chat.get(f"/api/conversations/{'x' * 37}")).status_code == 422


async def test_admin_sees_aggregate_usage_only(world: Callable[[], ExampleWorld]) -> None:
    w = world()
    ada = await w.start()
    boss = await w.client()
    await sign_up(ada, CREDENTIALS["email"])
    boss_id = (await sign_up(boss, "boss@example.com"))["user"]["id"]
    c = await new_conversation(ada, "private title")
    await ask(ada, c["id"], "How long do sessions last?")
    await ask(ada, c["id"], "What does a ban do?")
    assert (await boss.get("/api/admin/usage")).status_code == 403
    assert (await (await w.client()).get("/api/admin/usage")).status_code == 401
    await w.app_auth().store.update_user(boss_id, {"role": "admin"})
    r = await boss.get("/api/admin/usage")
    assert r.status_code == 200
    usage = r.json()
    assert usage["users"] == 1 and usage["conversations"] == 1 and usage["messages"] == 4
    assert usage["messages_by_role"] == {"user": 2, "assistant": 2}
    assert {s["document_id"] for s in usage["top_sources"]} >= {"sessions", "roles"}
    assert "private title" not in r.text and "sessions last" not in r.text

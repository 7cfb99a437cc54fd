"""The RAG-chat example (seed 004) on SQLite and PostgreSQL; world fixtures in ``tests/examples/conftest.py``."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
import pytest

from examples.rag_chat.app.main import create_app as create_rag_app
from tests.examples.conftest import ORIGIN, ExampleWorld, sign_up

__all__ = ["ORIGIN", "ExampleWorld", "ask", "new_conversation", "sign_up"]


@pytest.fixture
def create_app() -> Callable[..., Any]:
    # No background purge unless a test asks for one.
    return partial(create_rag_app, retention_days=0)


@pytest.fixture
def chat(fresh: httpx.AsyncClient) -> httpx.AsyncClient:
    return fresh


async def new_conversation(client: httpx.AsyncClient, title: str | None = None, **headers: str) -> dict[str, Any]:
    body = {"title": title} if title is not None else None
    r = await client.post("/api/conversations", json=body, headers={**ORIGIN, **headers})
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def ask(client: httpx.AsyncClient, conversation_id: str, content: str, **headers: str) -> dict[str, Any]:
    r = await client.post(
        f"/api/conversations/{conversation_id}/messages", json={"content": content}, headers={**ORIGIN, **headers}
    )
    assert r.status_code == 201, r.text
    exchange: dict[str, Any] = r.json()
    return exchange

"""The examples' Swagger pages group every route under a named tag: nothing lands in "default"."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from examples.rag_chat.app.main import create_app as create_rag_chat
from examples.todo.app.main import create_app as create_todo
from fastapi_betterauth import AuthSettings

SETTINGS = AuthSettings(secret="tags-secret-0123456789abcdef0123456789abcdef", environment="test")


@pytest.mark.parametrize("create", [create_todo, create_rag_chat], ids=["todo", "rag_chat"])
def test_every_operation_has_a_tag(create: Callable[..., FastAPI]) -> None:
    spec = create(SETTINGS, "sqlite+aiosqlite:///:memory:").openapi()
    untagged = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if not operation.get("tags") or "default" in operation["tags"]
    ]
    assert untagged == []
    assert any(path.startswith("/api/auth/") for path in spec["paths"])

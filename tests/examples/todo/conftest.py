"""The todo example (seed 002) on SQLite and PostgreSQL; the world fixtures live in ``tests/examples/conftest.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from examples.todo.app.main import create_app as create_todo_app
from tests.examples.conftest import ORIGIN, SECRET, ExampleWorld, sign_up

TodoWorld = ExampleWorld
__all__ = ["ORIGIN", "SECRET", "TodoWorld", "sign_up"]


@pytest.fixture
def create_app() -> Callable[..., Any]:
    return create_todo_app


@pytest.fixture
def todo(fresh: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client of a fresh todo app."""
    return fresh

"""Plugins are data: a factory returns a frozen :class:`Plugin`.

Mirrors the shape of a Better Auth plugin (``id``, ``endpoints``, ``schema``, ``hooks``): a request
hook may rewrite the request before routing (the bearer plugin turns ``Authorization`` into the
session cookie), and a response hook may add headers afterwards (``set-auth-token``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..db.schema import TableSpec
from .endpoint import AnyEndpoint, AuthRequest, AuthResponse

if TYPE_CHECKING:
    from .context import AuthContext

RequestHook = Callable[["AuthContext", AuthRequest], AuthRequest]
ResponseHook = Callable[["AuthContext", AuthRequest, AuthResponse], Awaitable[None] | None]


@dataclass(frozen=True)
class Plugin:
    """A bundle of endpoints, schema additions and hooks."""

    id: str
    endpoints: tuple[AnyEndpoint, ...] = ()
    schema: tuple[TableSpec, ...] = ()
    on_request: RequestHook | None = None
    on_response: ResponseHook | None = None
    init: Callable[[AuthContext], None] | None = None
    """Called once with the instance's context (plugins keep their state in ``context.extensions``)."""

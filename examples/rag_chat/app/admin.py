"""Aggregate usage for administrators (``require_role("admin")``): counts, never content."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from fastapi_betterauth import AUTH_ERROR_RESPONSES, User, require_role

from . import store
from .models import Usage
from .routes import Engine

router = APIRouter(prefix="/api/admin", tags=["admin"], responses=AUTH_ERROR_RESPONSES)


@router.get("/usage", responses={403: {"description": "The caller is not an admin"}})
async def usage(admin: Annotated[User, require_role("admin")], db: Engine) -> Usage:
    """How many users chat, conversations, messages (by role), and the most cited documents."""
    return await store.usage(db)

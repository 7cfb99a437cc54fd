"""Admin-only views across users, guarded by the library's ``require_role``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fastapi_betterauth import AUTH_ERROR_RESPONSES, User, require_role

from .models import Task, tasks
from .routes import Engine, StatusFilter, select_tasks, status_condition

router = APIRouter(prefix="/api/admin", tags=["admin"], responses=AUTH_ERROR_RESPONSES)

Admin = Annotated[User, require_role("admin")]


@router.get("/tasks", response_model=list[Task], responses={403: {"description": "The caller is not an admin"}})
async def all_tasks(
    admin: Admin,
    db: Engine,
    status_filter: StatusFilter = "all",
    user_id: Annotated[str | None, Query(max_length=255, description="Only this user's tasks")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[Task]:
    """Every user's tasks (admins only), oldest first, paginated."""
    conditions = [status_condition(status_filter)]
    if user_id is not None:
        conditions.append(tasks.c.user_id == user_id)
    return await select_tasks(db, *conditions, limit=limit, offset=offset)

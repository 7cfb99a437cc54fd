"""Task endpoints: every query is scoped to the caller, so another user's task is a 404 on every verb."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncEngine

from fastapi_betterauth import AUTH_ERROR_RESPONSES, CurrentUser, ErrorBody

from .models import MAX_TASK_ID, Task, TaskCreate, TaskUpdate, tasks

# Failures answer {"message", "code"} like the auth routes (install_error_handlers in main.py).
INVALID_STATUS = {
    "message": "Invalid status filter: must be 'pending', 'completed', or 'all'",
    "code": "INVALID_STATUS",
}
TASK_NOT_FOUND = {"message": "Task not found", "code": "TASK_NOT_FOUND"}

router = APIRouter(
    prefix="/api/tasks",
    tags=["tasks"],
    responses={
        **AUTH_ERROR_RESPONSES,
        400: {"model": ErrorBody, "description": "The body is not valid JSON"},
        404: {"model": ErrorBody, "description": "No such task among the caller's"},
    },
)


def get_engine(request: Request) -> AsyncEngine:
    """The app's engine, shared with the auth tables."""
    engine: AsyncEngine = request.app.state.engine
    return engine


Engine = Annotated[AsyncEngine, Depends(get_engine)]
TaskId = Annotated[int, Path(ge=1, le=MAX_TASK_ID, description="The task's id")]
MAX_PAGE = 1000
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Most tasks in one answer")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="Tasks to skip")]
StatusFilter = Annotated[
    str,
    Query(
        alias="status",
        description="`all` (default), `pending` or `completed`; anything else is a 400",
        json_schema_extra={"enum": ["all", "pending", "completed"]},
    ),
]


def now() -> datetime:
    return datetime.now(UTC)


def status_condition(value: str) -> Any:
    """The WHERE clause of ``?status=``; a 400 with a fixed message for anything unknown."""
    if value == "all":
        return sa.true()
    if value in ("pending", "completed"):
        return tasks.c.completed == (value == "completed")
    raise HTTPException(status.HTTP_400_BAD_REQUEST, INVALID_STATUS)


async def select_tasks(db: AsyncEngine, *conditions: Any, limit: int | None = None, offset: int = 0) -> list[Task]:
    query = sa.select(tasks).where(*conditions).order_by(tasks.c.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Task.model_validate(r._mapping) for r in rows]


@router.get("", response_model=list[Task], responses={400: {"model": ErrorBody}})
async def list_tasks(
    user: CurrentUser, db: Engine, status_filter: StatusFilter = "all", limit: PageSize = MAX_PAGE, offset: Offset = 0
) -> list[Task]:
    """The caller's tasks, oldest first: at most ``limit`` (1,000) per answer, from ``offset``."""
    return await select_tasks(
        db, tasks.c.user_id == user.id, status_condition(status_filter), limit=limit, offset=offset
    )


@router.post("", response_model=Task, status_code=status.HTTP_201_CREATED)
async def create_task(body: TaskCreate, user: CurrentUser, db: Engine) -> Task:
    """Create a task owned by the caller."""
    t = now()
    values = {**body.model_dump(), "user_id": user.id, "created_at": t, "updated_at": t}
    async with db.begin() as conn:
        row = (await conn.execute(sa.insert(tasks).values(values).returning(*tasks.c))).one()
    return Task.model_validate(row._mapping)


@router.get("/{task_id}", response_model=Task)
async def get_task(task_id: TaskId, user: CurrentUser, db: Engine) -> Task:
    """One of the caller's tasks."""
    found = await select_tasks(db, tasks.c.id == task_id, tasks.c.user_id == user.id)
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, TASK_NOT_FOUND)
    return found[0]


async def update_own(db: AsyncEngine, task_id: int, user_id: str, values: dict[str, Any]) -> Task:
    """One UPDATE ... RETURNING scoped to the owner: atomic under concurrent writers."""
    statement = (
        sa.update(tasks)
        .where(tasks.c.id == task_id, tasks.c.user_id == user_id)
        .values({**values, "updated_at": now()})
        .returning(*tasks.c)
    )
    async with db.begin() as conn:
        row = (await conn.execute(statement)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, TASK_NOT_FOUND)
    return Task.model_validate(row._mapping)


@router.put("/{task_id}", response_model=Task)
async def update_task(task_id: TaskId, body: TaskUpdate, user: CurrentUser, db: Engine) -> Task:
    """Change the given fields (``title``, ``description``, ``completed``); the others keep their values."""
    return await update_own(db, task_id, user.id, body.model_dump(exclude_unset=True))


@router.patch("/{task_id}/complete", response_model=Task)
async def toggle_task(task_id: TaskId, user: CurrentUser, db: Engine) -> Task:
    """Flip ``completed``; done in the database, so two concurrent toggles leave it where it started."""
    return await update_own(db, task_id, user.id, {"completed": sa.not_(tasks.c.completed)})


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, response_model=None)
async def delete_task(task_id: TaskId, user: CurrentUser, db: Engine) -> None:
    """Delete one of the caller's tasks."""
    async with db.begin() as conn:
        result = await conn.execute(sa.delete(tasks).where(tasks.c.id == task_id, tasks.c.user_id == user.id))
    if result.rowcount == 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, TASK_NOT_FOUND)

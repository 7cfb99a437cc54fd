"""Task endpoints: every query is scoped to the signed-in user, so another user's task is a 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncEngine

from fastapi_betterauth import CurrentUser

from .models import Task, TaskIn, TaskPatch, tasks

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


def engine(request: Request) -> AsyncEngine:
    return request.app.state.engine  # type: ignore[no-any-return]


Engine = Annotated[AsyncEngine, Depends(engine)]


def _now() -> datetime:
    return datetime.now(UTC)


async def _get_own(db: AsyncEngine, task_id: int, user_id: str) -> Task:
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(tasks).where(tasks.c.id == task_id, tasks.c.user_id == user_id))).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Task not found")
    return Task.model_validate(row._mapping)


@router.get("", response_model=list[Task])
async def list_tasks(
    user: CurrentUser, db: Engine, status_filter: Literal["all", "pending", "completed"] = Query("all", alias="status")
) -> list[Task]:
    """The signed-in user's tasks, newest first."""
    query = sa.select(tasks).where(tasks.c.user_id == user.id).order_by(tasks.c.id.desc())
    if status_filter != "all":
        query = query.where(tasks.c.completed == (status_filter == "completed"))
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Task.model_validate(r._mapping) for r in rows]


@router.post("", response_model=Task, status_code=status.HTTP_201_CREATED)
async def create_task(body: TaskIn, user: CurrentUser, db: Engine) -> Task:
    """Create a task owned by the signed-in user."""
    t = _now()
    values = {**body.model_dump(), "user_id": user.id, "created_at": t, "updated_at": t}
    async with db.begin() as conn:
        row = (await conn.execute(sa.insert(tasks).values(values).returning(*tasks.c))).one()
    return Task.model_validate(row._mapping)


@router.get("/{task_id}", response_model=Task)
async def get_task(task_id: int, user: CurrentUser, db: Engine) -> Task:
    """One of the signed-in user's tasks."""
    return await _get_own(db, task_id, user.id)


async def _update(db: AsyncEngine, task_id: int, user_id: str, values: dict[str, object]) -> Task:
    async with db.begin() as conn:
        row = (
            await conn.execute(
                sa.update(tasks)
                .where(tasks.c.id == task_id, tasks.c.user_id == user_id)
                .values({**values, "updated_at": _now()})
                .returning(*tasks.c)
            )
        ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Task not found")
    return Task.model_validate(row._mapping)


@router.put("/{task_id}", response_model=Task)
async def replace_task(task_id: int, body: TaskPatch, user: CurrentUser, db: Engine) -> Task:
    """Update the given fields of a task."""
    return await _update(db, task_id, user.id, body.model_dump(exclude_unset=True))


@router.patch("/{task_id}/complete", response_model=Task)
async def toggle_task(task_id: int, user: CurrentUser, db: Engine) -> Task:
    """Toggle a task's completion."""
    return await _update(db, task_id, user.id, {"completed": sa.not_(tasks.c.completed)})


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(task_id: int, user: CurrentUser, db: Engine) -> None:
    """Delete a task."""
    async with db.begin() as conn:
        result = await conn.execute(sa.delete(tasks).where(tasks.c.id == task_id, tasks.c.user_id == user.id))
    if result.rowcount == 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Task not found")

"""SQL for conversations and messages. Every function takes the owner's id: no query can cross users."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from .models import Conversation, ConversationDetail, Message, Usage, conversations, messages

MAX_TERMS = 8


def now() -> datetime:
    return datetime.now(UTC)


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column: Any, term: str) -> Any:
    return sa.func.lower(column).like(_like(term), escape="\\")


def search_terms(q: str | None) -> list[str]:
    """The words of ``?q=`` (at most eight, to bound the query)."""
    return q.split()[:MAX_TERMS] if q else []


def _matches(terms: Sequence[str]) -> list[Any]:
    """Each term must appear in the title or in one of the conversation's messages."""
    conditions = []
    for term in terms:
        in_messages = sa.exists().where(
            messages.c.conversation_id == conversations.c.id, _contains(messages.c.content, term)
        )
        conditions.append(sa.or_(_contains(conversations.c.title, term), in_messages))
    return conditions


_COUNT = (
    sa.select(sa.func.count(messages.c.id))
    .where(messages.c.conversation_id == conversations.c.id)
    .scalar_subquery()
    .label("message_count")
)


def _conversation(row: Any, snippet: str | None = None) -> Conversation:
    return Conversation.model_validate({**row._mapping, "snippet": snippet})


async def create_conversation(db: AsyncEngine, user_id: str, title: str, meta: dict[str, Any]) -> Conversation:
    t = now()
    values = {"id": str(uuid.uuid4()), "user_id": user_id, "title": title, "metadata": meta}
    async with db.begin() as conn:
        await conn.execute(sa.insert(conversations).values({**values, "created_at": t, "updated_at": t}))
    return Conversation(**{k: v for k, v in values.items() if k != "user_id"}, created_at=t, updated_at=t)


async def list_conversations(
    db: AsyncEngine, user_id: str, *, terms: Sequence[str], limit: int, offset: int
) -> tuple[list[Conversation], int]:
    where = [conversations.c.user_id == user_id, *_matches(terms)]
    query = (
        sa.select(conversations, _COUNT)
        .where(*where)
        .order_by(conversations.c.updated_at.desc(), conversations.c.id)
        .limit(limit)
        .offset(offset)
    )
    async with db.connect() as conn:
        total = (await conn.execute(sa.select(sa.func.count()).select_from(conversations).where(*where))).scalar_one()
        rows = (await conn.execute(query)).all()
        items = [_conversation(r, await _snippet(conn, r, terms)) for r in rows]
    return items, total


async def _snippet(conn: Any, row: Any, terms: Sequence[str]) -> str | None:
    """Where the first search word was found: the title, or the first message containing it."""
    if not terms:
        return None
    if terms[0].lower() in row.title.lower():
        return str(row.title)
    content = (
        await conn.execute(
            sa.select(messages.c.content)
            .where(messages.c.conversation_id == row.id, _contains(messages.c.content, terms[0]))
            .order_by(messages.c.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if content is None:
        return None
    text = str(content)
    at = text.lower().find(terms[0].lower())
    start = max(0, at - 60)
    return ("…" if start else "") + text[start : at + 100] + ("…" if at + 100 < len(text) else "")


async def owns(db: AsyncEngine, user_id: str, conversation_id: str) -> bool:
    """Whether the conversation exists and is the user's (one indexed lookup, no counting)."""
    query = sa.select(conversations.c.id).where(
        conversations.c.id == conversation_id, conversations.c.user_id == user_id
    )
    async with db.connect() as conn:
        return (await conn.execute(query)).first() is not None


async def get_conversation(db: AsyncEngine, user_id: str, conversation_id: str) -> Conversation | None:
    query = sa.select(conversations, _COUNT).where(
        conversations.c.id == conversation_id, conversations.c.user_id == user_id
    )
    async with db.connect() as conn:
        row = (await conn.execute(query)).first()
    return None if row is None else _conversation(row)


async def list_messages(
    db: AsyncEngine, user_id: str, conversation_id: str, *, limit: int, offset: int
) -> tuple[list[Message], int]:
    where = (messages.c.conversation_id == conversation_id, messages.c.user_id == user_id)
    async with db.connect() as conn:
        total = (await conn.execute(sa.select(sa.func.count()).select_from(messages).where(*where))).scalar_one()
        rows = (
            await conn.execute(sa.select(messages).where(*where).order_by(messages.c.id).limit(limit).offset(offset))
        ).all()
    return [Message.model_validate(r._mapping) for r in rows], total


async def detail(db: AsyncEngine, user_id: str, conversation_id: str, *, limit: int) -> ConversationDetail | None:
    found = await get_conversation(db, user_id, conversation_id)
    if found is None:
        return None
    items, _ = await list_messages(db, user_id, conversation_id, limit=limit, offset=0)
    return ConversationDetail(**found.model_dump(), messages=items)


async def rename(db: AsyncEngine, user_id: str, conversation_id: str, title: str) -> bool:
    statement = (
        sa.update(conversations)
        .where(conversations.c.id == conversation_id, conversations.c.user_id == user_id)
        .values(title=title, updated_at=now())
    )
    async with db.begin() as conn:
        return bool((await conn.execute(statement)).rowcount)


async def _delete_conversations(db: AsyncEngine, *where: Any) -> int:
    """Delete the conversations matching ``where`` with their messages, in one transaction; how many went."""
    async with db.begin() as conn:
        # Messages explicitly, besides ``ON DELETE CASCADE``: the same result on a database without
        # foreign-key enforcement.
        matching = sa.select(conversations.c.id).where(*where)
        await conn.execute(sa.delete(messages).where(messages.c.conversation_id.in_(matching)))
        return int((await conn.execute(sa.delete(conversations).where(*where))).rowcount)


async def delete(db: AsyncEngine, user_id: str, conversation_id: str | None = None) -> int:
    """Delete one conversation, or all of the user's."""
    where = [conversations.c.user_id == user_id]
    if conversation_id is not None:
        where.append(conversations.c.id == conversation_id)
    return await _delete_conversations(db, *where)


async def recent_turns(db: AsyncEngine, user_id: str, conversation_id: str, count: int) -> list[tuple[str, str]]:
    query = (
        sa.select(messages.c.role, messages.c.content)
        .where(messages.c.conversation_id == conversation_id, messages.c.user_id == user_id)
        .order_by(messages.c.id.desc())
        .limit(count)
    )
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [(r.role, r.content) for r in reversed(rows)]


async def add_exchange(
    db: AsyncEngine,
    user_id: str,
    conversation_id: str,
    question: str,
    answer: str,
    sources: list[dict[str, Any]],
    meta: dict[str, Any],
) -> tuple[Message, Message] | None:
    """Store a question and its answer atomically; ``None`` when the conversation is not the user's (any more).

    The UPDATE comes first: it proves ownership and locks the conversation row (PostgreSQL), so a
    concurrent delete cannot leave orphan messages behind.
    """
    t = now()
    async with db.begin() as conn:
        touched = await conn.execute(
            sa.update(conversations)
            .where(conversations.c.id == conversation_id, conversations.c.user_id == user_id)
            .values(updated_at=t)
        )
        if not touched.rowcount:
            return None
        stored = []
        for role, content, cited, extra in (("user", question, [], {}), ("assistant", answer, sources, meta)):
            row = (
                await conn.execute(
                    sa.insert(messages)
                    .values(
                        conversation_id=conversation_id,
                        user_id=user_id,
                        role=role,
                        content=content,
                        sources=cited,
                        metadata=extra,
                        created_at=t,
                    )
                    .returning(*messages.c)
                )
            ).one()
            stored.append(Message.model_validate(row._mapping))
    return stored[0], stored[1]


async def purge_older_than(db: AsyncEngine, days: float) -> int:
    """Delete every conversation (with its messages) not updated for ``days``; how many went."""
    return await _delete_conversations(db, conversations.c.updated_at < now() - timedelta(days=days))


async def usage(db: AsyncEngine, top: int = 5) -> Usage:
    """Counts for administrators; reads only ids, roles and cited document ids, never content."""
    async with db.connect() as conn:
        users = (await conn.execute(sa.select(sa.func.count(sa.distinct(conversations.c.user_id))))).scalar_one()
        total = (await conn.execute(sa.select(sa.func.count()).select_from(conversations))).scalar_one()
        counted = await conn.execute(sa.select(messages.c.role, sa.func.count()).group_by(messages.c.role))
        by_role: dict[str, int] = {role: count for role, count in counted.all()}
        cited: Counter[str] = Counter()
        result = await conn.stream(sa.select(messages.c.sources).where(messages.c.role == "assistant"))
        async for (sources,) in result:
            cited.update({s["document_id"] for s in sources})
    return Usage(
        users=users,
        conversations=total,
        messages=sum(by_role.values()),
        messages_by_role=by_role,
        top_sources=[
            {"document_id": d, "answers": n} for d, n in sorted(cited.items(), key=lambda i: (-i[1], i[0]))[:top]
        ],
    )

"""Chat endpoints. Only signed-in users reach them; another user's conversation is a 404 on every verb."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncEngine

from fastapi_betterauth import AUTH_ERROR_RESPONSES, CurrentIdentity, CurrentUser, ErrorBody

from . import store
from .generator import AnswerGenerator, Turn
from .models import (
    Conversation,
    ConversationCreate,
    ConversationDetail,
    ConversationRename,
    Exchange,
    Message,
    MessageCreate,
    Page,
)
from .retrieval import BM25Index

# Failures answer {"message", "code"} like the auth routes (install_error_handlers in main.py).
NOT_FOUND = {"message": "Conversation not found", "code": "CONVERSATION_NOT_FOUND"}
HISTORY_TURNS = 6

router = APIRouter(
    prefix="/api",
    responses={
        **AUTH_ERROR_RESPONSES,
        400: {"model": ErrorBody, "description": "The body is not valid JSON"},
        404: {"model": ErrorBody, "description": "No such conversation among the caller's"},
    },
)


def get_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


def get_index(request: Request) -> BM25Index:
    index: BM25Index = request.app.state.index
    return index


def get_generator(request: Request) -> AnswerGenerator:
    generator: AnswerGenerator = request.app.state.generator
    return generator


Engine = Annotated[AsyncEngine, Depends(get_engine)]
ConversationId = Annotated[str, Path(min_length=1, max_length=36)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


def _not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)


@router.get("/me", tags=["account"])
async def me(identity: CurrentIdentity) -> dict[str, Any]:
    """Who the caller is and how they proved it (session validation for the frontend)."""
    expires = identity.session.expires_at if identity.session else None
    return {"user": identity.user.model_dump(mode="json"), "via": identity.via, "session_expires_at": expires}


@router.post("/conversations", status_code=status.HTTP_201_CREATED, tags=["conversations"])
async def create_conversation(
    user: CurrentUser, db: Engine, request: Request, body: ConversationCreate | None = None
) -> Conversation:
    """Start a conversation (``title`` defaults to "New conversation")."""
    generator = get_generator(request)
    meta = {"generator": generator.name, "retrieval": {"ranker": "bm25", "k": 3}}
    return await store.create_conversation(db, user.id, (body or ConversationCreate()).title, meta)


@router.get("/conversations", tags=["conversations"])
async def list_conversations(
    user: CurrentUser,
    db: Engine,
    q: Annotated[str | None, Query(max_length=200, description="Keywords, all required, in titles or messages")] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[Conversation]:
    """The caller's conversations, most recently active first; ``?q=`` searches them."""
    items, total = await store.list_conversations(db, user.id, terms=store.search_terms(q), limit=limit, offset=offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/conversations/{conversation_id}", tags=["conversations"])
async def get_conversation(
    conversation_id: ConversationId, user: CurrentUser, db: Engine, message_limit: Limit = 50
) -> ConversationDetail:
    """A conversation with its first ``message_limit`` messages (page further with ``/messages``)."""
    found = await store.detail(db, user.id, conversation_id, limit=message_limit)
    if found is None:
        raise _not_found()
    return found


@router.patch("/conversations/{conversation_id}", tags=["conversations"])
async def rename_conversation(
    conversation_id: ConversationId, body: ConversationRename, user: CurrentUser, db: Engine
) -> Conversation:
    """Rename a conversation."""
    if not await store.rename(db, user.id, conversation_id, body.title):
        raise _not_found()
    found = await store.get_conversation(db, user.id, conversation_id)
    if found is None:  # deleted in between
        raise _not_found()
    return found


@router.delete("/conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["privacy"])
async def delete_conversation(conversation_id: ConversationId, user: CurrentUser, db: Engine) -> None:
    """Delete a conversation and its messages, permanently."""
    if not await store.delete(db, user.id, conversation_id):
        raise _not_found()


@router.delete("/conversations", tags=["privacy"])
async def delete_all_conversations(user: CurrentUser, db: Engine) -> dict[str, int]:
    """Delete every conversation of the caller; ``{"deleted": n}``."""
    return {"deleted": await store.delete(db, user.id)}


@router.get("/conversations/{conversation_id}/messages", tags=["conversations"])
async def list_messages(
    conversation_id: ConversationId, user: CurrentUser, db: Engine, limit: Limit = 50, offset: Offset = 0
) -> Page[Message]:
    """A conversation's messages, oldest first."""
    if not await store.owns(db, user.id, conversation_id):
        raise _not_found()
    items, total = await store.list_messages(db, user.id, conversation_id, limit=limit, offset=offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/conversations/{conversation_id}/messages", status_code=status.HTTP_201_CREATED, tags=["chat"])
async def ask(
    conversation_id: ConversationId,
    body: MessageCreate,
    user: CurrentUser,
    db: Engine,
    request: Request,
) -> Exchange:
    """Ask a question: retrieve passages, generate the reply, store both; returns the pair with the sources."""
    if not await store.owns(db, user.id, conversation_id):
        raise _not_found()
    history = [
        Turn(role, content) for role, content in await store.recent_turns(db, user.id, conversation_id, HISTORY_TURNS)
    ]
    started = time.perf_counter()
    hits = get_index(request).search(body.content, k=3)
    if hits:  # drop passages far weaker than the best one
        hits = [h for h in hits if h.score >= 0.6 * hits[0].score]
    generator = get_generator(request)
    answer = await generator.answer(body.content, hits, history)
    sources = [
        {"document_id": h.passage.document_id, "title": h.passage.title, "passage": h.passage.text, "score": h.score}
        for h in hits
    ]
    meta = {
        "generator": generator.name,
        "ranker": "bm25",
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 2),
        "history_turns": len(history),
    }
    stored = await store.add_exchange(db, user.id, conversation_id, body.content, answer, sources, meta)
    if stored is None:  # deleted while we were answering
        raise _not_found()
    return Exchange(question=stored[0], answer=stored[1])

"""Liveness and readiness routes for load balancers and orchestrators: ``app.include_router(auth.health_router())``.

``GET /health/live`` answers 200 whenever the process serves requests (restart it when it does not);
``GET /health/ready`` answers 200 when the database, the secondary storage and (resource server) the
issuer's keys are usable, 503 naming the failed check otherwise (send it no traffic meanwhile). Neither
is rate limited (they are outside the auth router) nor needs credentials; neither reveals more than
exception class names.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..health import check_readiness

NO_STORE = {"Cache-Control": "no-store"}


class LiveStatus(BaseModel):
    """The liveness answer."""

    status: Literal["ok"] = "ok"


class ReadyStatus(BaseModel):
    """The readiness answer: 200 with ``status: ok``, or 503 with ``status: unavailable``."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, Literal["ok", "stale", "unavailable"]] = Field(
        description="Each check (`database`, `redis` or `secondary_storage`, `jwks`): `stale` is still usable"
    )
    errors: dict[str, str] | None = Field(
        default=None, description="Failed checks only: the exception class names (never a message)"
    )


def create_health_router(
    instance: Any, *, live_path: str = "/health/live", ready_path: str = "/health/ready", timeout: float = 2.0
) -> APIRouter:
    """The two routes for ``instance`` (a ``BetterAuth`` or ``ResourceServer``); each check gets ``timeout`` s."""
    router = APIRouter(tags=["health"])

    @router.get(live_path, response_model=LiveStatus, summary="Liveness: the process serves requests")
    async def live() -> JSONResponse:
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    @router.get(
        ready_path,
        response_model=ReadyStatus,
        summary="Readiness: the database, secondary storage and issuer keys answer",
        responses={503: {"model": ReadyStatus, "description": "A check failed: `status` is `unavailable`"}},
    )
    async def ready() -> JSONResponse:
        readiness = await check_readiness(instance, timeout=timeout)
        return JSONResponse(readiness.body(), status_code=200 if readiness.ready else 503, headers=NO_STORE)

    return router

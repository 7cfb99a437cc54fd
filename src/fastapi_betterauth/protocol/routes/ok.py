"""Health check. Mirrors packages/better-auth/src/api/routes/ok.ts (ok)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..context import EndpointContext
from ..endpoint import endpoint


class OkResponse(BaseModel):
    """``{"ok": true}``."""

    ok: bool


@endpoint("GET", "/ok", operation_id="ok", response=OkResponse)
async def ok(ctx: EndpointContext) -> Any:
    """Check that the auth server is up."""
    return {"ok": True}

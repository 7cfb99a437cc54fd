"""Health check. Mirrors packages/better-auth/src/api/routes/ok.ts (ok)."""

from __future__ import annotations

from ..context import EndpointContext
from ..endpoint import AuthResponse, endpoint
from ..shapes import OkResponse

TAGS = ("Status",)


@endpoint("GET", "/ok", tags=TAGS, operation_id="ok", response=OkResponse)
async def ok(ctx: EndpointContext[None, None]) -> OkResponse | AuthResponse:
    """Check that the auth server is up."""
    return {"ok": True}

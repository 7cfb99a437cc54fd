"""Error page. Mirrors packages/better-auth/src/api/routes/error.ts (error)."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

from ..context import EndpointContext
from ..endpoint import EMPTY, AuthResponse, endpoint

_CODE_RE = re.compile(r"^['A-Za-z0-9_-]+$")


@endpoint("GET", "/error", operation_id="error", response=str, answer_media="text/html", tags=("Status",))
async def error(ctx: EndpointContext[None, None]) -> str | AuthResponse:
    """Show an authentication error (HTML), or redirect to ``/?error=`` in production."""
    code = ctx.request.query_value("error") or "UNKNOWN"
    if not _CODE_RE.match(code):
        code = "UNKNOWN"
    description = ctx.request.query_value("error_description")
    if ctx.auth.settings.environment == "production":
        params = {"error": code} | ({"error_description": description} if description else {})
        return AuthResponse(status=302, body=EMPTY, headers=[("Location", "/?" + urlencode(params))], content_type=None)
    text = html.escape(description or "")
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Authentication error</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">'
        f"<h1>Something went wrong</h1><p>Error code: <code>{html.escape(code)}</code></p>"
        f'<p>{text}</p><p><a href="/">Go back home</a></p></body></html>'
    )
    return AuthResponse(body=page, content_type="text/html")

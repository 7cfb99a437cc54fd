"""Redirect answers, as better-call's ``ctx.redirect`` gives them."""

from __future__ import annotations

from .endpoint import EMPTY, AuthResponse


def redirect(url: str) -> AuthResponse:
    """A 302 to ``url`` with an empty JSON body.

    ``url`` must come from the URL trust check (or be built from ``base_url``): the one place that
    parses it as a browser will, so what is checked is what is sent.
    """
    return AuthResponse(status=302, body=EMPTY, headers=[("Location", url)])

"""The receiving service of examples/clients/service_client.py: a report API that only verifies JWTs.

It trusts the JWTs the todo API's auth issues (the jwt plugin, ``GET /api/auth/token``) and nothing else. It
has no database and no secret: ``JWTVerifier(jwks_url=...)`` fetches the issuer's public keys from
``/api/auth/jwks`` on first use and caches them, so verifying a call is a signature check, ``exp``, ``iss``
and ``aud`` (docs/modes/resource-server.md). A JWT stays valid until it expires (15 minutes), whatever
happens to its session meanwhile; that is the price of never asking the issuer.

    REPORT_AUTH_URL=http://localhost:8000 uvicorn examples.clients.report_api:app --port 8001
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, Field

from fastapi_betterauth import JWTVerifier, ResourceServer, require_jwt

Claims = Annotated[dict[str, Any], require_jwt()]
"""The verified claims of the caller's ``Authorization: Bearer <JWT>`` (401 without a valid one)."""


class ReportIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    open_tasks: int = Field(ge=0)
    completed_tasks: int = Field(ge=0)


class Report(ReportIn):
    id: int
    author_id: str
    author_email: str | None
    received_at: datetime


def create_app(auth_url: str, *, jwks_client: httpx.AsyncClient | None = None) -> FastAPI:
    """The report API, trusting the Better Auth server at ``auth_url`` (its ``BETTER_AUTH_URL``).

    Args:
        auth_url: the issuer's base URL: its key set is ``<auth_url>/api/auth/jwks``, and Better Auth's
            JWTs name it as ``iss`` and ``aud``.
        jwks_client: the ``httpx.AsyncClient`` that fetches the key set (tests watch it).
    """
    auth_url = auth_url.rstrip("/")
    verifier = JWTVerifier(jwks_url=f"{auth_url}/api/auth/jwks", issuer=auth_url, audience=auth_url, client=jwks_client)
    resource = ResourceServer(jwt=verifier)
    app = FastAPI(title="Report API", lifespan=resource.lifespan)
    reports: list[Report] = []  # a real service keeps them in its own database

    @app.post("/reports", status_code=201)
    async def submit(report: ReportIn, claims: Claims) -> Report:
        stored = Report(
            **report.model_dump(),
            id=len(reports) + 1,
            author_id=claims["sub"],
            author_email=claims.get("email"),
            received_at=datetime.now(UTC),
        )
        reports.append(stored)
        return stored

    @app.get("/reports")
    async def mine(claims: Claims) -> list[Report]:
        return [r for r in reports if r.author_id == claims["sub"]]

    return app


def __getattr__(name: str) -> Any:
    # `uvicorn examples.clients.report_api:app`: the app is made when asked for, so importing the module
    # (tests, create_app) does not construct a second resource server.
    if name == "app":
        return create_app(os.environ.get("REPORT_AUTH_URL", "http://localhost:8000"))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

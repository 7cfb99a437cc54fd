"""A mobile/CLI client of a fastapi-betterauth API: the session token refreshes, the JWT authorizes.

The session token (the bearer plugin's ``set-auth-token``) is the long-lived refresh credential: kept in a
file readable by the owner only, so the client stays signed in across restarts. Each API call carries a
short-lived JWT (the jwt plugin's ``GET /api/auth/token``), minted again shortly before it expires, or at once
when the API answers 401 for it. When ``/token`` itself answers 401 the session is over (expired, signed out
elsewhere, revoked): the user must sign in again. See docs/modes/tokens.md.

    client = TokenClient("https://api.example.com", Path("~/.myapp/session").expanduser())
    if not client.signed_in:
        await client.sign_in(email, password)
    tasks = (await client.request("GET", "/api/tasks")).json()
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

AUTH = "/api/auth"


class SignInRequired(Exception):
    """The refresh credential is gone (expired, signed out or revoked): ask the user to sign in."""


def _expiry(jwt: str) -> float:
    """The ``exp`` of a JWT (read, not verified: the API verifies it; the client only schedules refreshes)."""
    payload = jwt.split(".")[1]
    return float(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])


class TokenClient:
    """Keeps a session token, mints JWTs from it, and calls the API with them."""

    def __init__(
        self,
        base_url: str,
        store: Path,
        *,
        http: httpx.AsyncClient | None = None,
        refresh_before: float = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = http or httpx.AsyncClient(base_url=base_url, timeout=10)
        self.store = store
        self.refresh_before = refresh_before
        self.clock = clock
        self._jwt: str | None = None
        self.minted = 0
        """How many JWTs this client asked for (what the tests count)."""

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request with only the credential given: a mobile client keeps no cookies."""
        self.http.cookies.clear()
        return await self.http.request(method, url, **kwargs)

    @property
    def signed_in(self) -> bool:
        """Whether a session token is stored (it may still have been revoked since)."""
        return self.store.exists()

    def _session_token(self) -> str:
        try:
            return self.store.read_text().strip()
        except FileNotFoundError:
            raise SignInRequired("not signed in") from None

    async def sign_in(self, email: str, password: str) -> None:
        """Sign in with email and password; keep the session token (0600)."""
        answer = await self._call("POST", f"{AUTH}/sign-in/email", json={"email": email, "password": password})
        answer.raise_for_status()
        self.store.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.store, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(answer.headers["set-auth-token"])
        self._jwt = None

    async def access_token(self, *, force: bool = False) -> str:
        """A JWT valid for at least ``refresh_before`` more seconds, minted when needed.

        Raises:
            SignInRequired: the session is over.
        """
        if not force and self._jwt is not None and _expiry(self._jwt) - self.clock() > self.refresh_before:
            return self._jwt
        bearer = {"authorization": f"Bearer {self._session_token()}"}
        answer = await self._call("GET", f"{AUTH}/token", headers=bearer)
        if answer.status_code == 401:
            self._forget()
            raise SignInRequired("the session has ended")
        answer.raise_for_status()
        self._jwt = str(answer.json()["token"])
        self.minted += 1
        return self._jwt

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Call the API with a fresh JWT; a 401 for the JWT mints a new one and retries once."""
        answer = await self._send(method, url, await self.access_token(), **kwargs)
        if answer.status_code == 401:
            answer = await self._send(method, url, await self.access_token(force=True), **kwargs)
        return answer

    async def _send(self, method: str, url: str, jwt: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), "authorization": f"Bearer {jwt}"}
        return await self._call(method, url, headers=headers, **kwargs)

    async def sign_out(self) -> None:
        """End the session on the server and forget it here."""
        try:
            token = self._session_token()
        except SignInRequired:
            return
        await self._call("POST", f"{AUTH}/sign-out", headers={"authorization": f"Bearer {token}"})
        self._forget()

    def _forget(self) -> None:
        self._jwt = None
        self.store.unlink(missing_ok=True)

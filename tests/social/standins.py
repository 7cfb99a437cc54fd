"""Google- and GitHub-shaped OAuth providers on loopback, in Python (no node), for the built-in social providers.

Better Auth's Google and GitHub providers have fixed upstream hosts, so tests point the providers' endpoints at these
stand-ins instead. Each provider is its own Starlette app served by uvicorn in a background thread on its own
127.0.0.1 port, and keeps the real paths, so an upstream URL maps to a stand-in one by replacing the origin:

======================================================  ==========================================
upstream                                                stand-in
======================================================  ==========================================
``https://accounts.google.com/o/oauth2/v2/auth``        ``{google_url}/o/oauth2/v2/auth``
``https://oauth2.googleapis.com/token``                 ``{google_url}/token``
``https://www.googleapis.com/oauth2/v3/certs``          ``{google_url}/oauth2/v3/certs``
``https://openidconnect.googleapis.com/v1/userinfo``    ``{google_url}/v1/userinfo`` (also ``/oauth2/v3/userinfo``)
``https://github.com/login/oauth/authorize``            ``{github_url}/login/oauth/authorize``
``https://github.com/login/oauth/access_token``         ``{github_url}/login/oauth/access_token``
``https://api.github.com/user``, ``/user/emails``       ``{github_url}/user``, ``{github_url}/user/emails``
======================================================  ==========================================

Both check what the real ones check (client credentials, single-use codes, redirect_uri, PKCE S256 when a challenge
was sent, bearer tokens) and answer in their formats (Google: 400/401 ``{"error": ...}``; GitHub: 200 with
``{"error": "bad_verification_code", ...}``). The profile is controllable, failures can be injected (``deny``,
``status``, ``hang``, ``error_json``, like idp_mock.mjs) and every request is logged (with its User-Agent).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

GOOGLE_CLIENT_ID = "google-client-id.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "google-client-secret"
GITHUB_CLIENT_ID = "github-client-id"
GITHUB_CLIENT_SECRET = "github-client-secret"
GOOGLE_ISSUER = "https://accounts.google.com"
GOOGLE_SCOPE = "https://www.googleapis.com/auth/userinfo.email openid https://www.googleapis.com/auth/userinfo.profile"
GOOGLE_KID = "standin-google-rs256"
HANG_SECONDS = 60.0

DEFAULT_GOOGLE_PROFILE: dict[str, Any] = {
    "sub": "104857600000000000001",
    "email": "google-user@example.com",
    "email_verified": True,
    "name": "Google User",
    "given_name": "Google",
    "family_name": "User",
    "picture": "https://lh3.googleusercontent.com/a/standin-google-user",
}
DEFAULT_GITHUB_USER: dict[str, Any] = {
    "login": "octo-user",
    "id": 5830001,
    "node_id": "MDQ6VXNlcjU4MzAwMDE=",
    "avatar_url": "https://avatars.githubusercontent.com/u/5830001?v=4",
    "type": "User",
    "name": "GitHub User",
    "email": "github-user@example.com",
}
DEFAULT_GITHUB_EMAILS: list[dict[str, Any]] = [
    {"email": "github-user@example.com", "primary": True, "verified": True, "visibility": "public"},
]

GITHUB_TOKEN_ERRORS = {
    "invalid_client": ("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect."),
    "redirect_uri_mismatch": (
        "redirect_uri_mismatch",
        "The redirect_uri MUST match the registered callback URL for this application.",
    ),
    "invalid_code": ("bad_verification_code", "The code passed is incorrect or expired."),
}
"""GitHub's token-endpoint errors (all answered with status 200), by the reason ``_redeem`` gives."""

GITHUB_DENIED = "The user has denied your application access."

FAILURE_MODES = ("deny", "status", "hang", "error_json")
ENDPOINTS = {
    "google": ("authorize", "token", "certs", "userinfo"),
    "github": ("authorize", "token", "user", "emails"),
}


def s256(verifier: str) -> str:
    """PKCE S256 code challenge of a verifier."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass
class Failure:
    """An injected failure for the next ``times`` requests to one endpoint."""

    mode: str
    status: int | None = None
    times: int = 1
    error: str | None = None
    error_description: str | None = None


@dataclass
class Grant:
    """What an authorization request asked for; the code's state at the token endpoint."""

    client_id: str
    redirect_uri: str
    scope: str
    challenge: str | None
    method: str
    nonce: str | None
    offline: bool
    used: bool = False


@dataclass
class _State:
    """Everything mutable, shared by the server threads and the test (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    google_profile: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_GOOGLE_PROFILE))
    github_user: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_GITHUB_USER))
    github_emails: list[dict[str, Any]] = field(default_factory=lambda: [dict(e) for e in DEFAULT_GITHUB_EMAILS])
    credentials: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {
            "google": (GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET),
            "github": (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET),
        }
    )
    failures: dict[tuple[str, str], Failure] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (provider, scope)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)

    def take_failure(self, provider: str, endpoint: str) -> Failure | None:
        with self.lock:
            failure = self.failures.get((provider, endpoint))
            if failure is None:
                return None
            failure.times -= 1
            if failure.times <= 0:
                del self.failures[(provider, endpoint)]
            return failure


Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]


class StandIns:
    """The running Google and GitHub stand-ins and their controls (the ``standins`` fixture).

    ``google_url`` / ``github_url`` are origins (``http://127.0.0.1:<port>``, one port each); see the module docstring
    for the paths. Client credentials default to the ``GOOGLE_*`` / ``GITHUB_*`` constants of this module.
    """

    def __init__(self) -> None:
        self._state = _State()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        self._jwks = {"keys": [{**public, "kid": GOOGLE_KID, "alg": "RS256", "use": "sig"}]}
        self._servers: list[tuple[uvicorn.Server, threading.Thread]] = []
        self.google_url = ""
        self.github_url = ""

    # ---- URLs -------------------------------------------------------------------------------------------------

    @property
    def google_authorization_endpoint(self) -> str:
        return f"{self.google_url}/o/oauth2/v2/auth"

    @property
    def google_token_endpoint(self) -> str:
        return f"{self.google_url}/token"

    @property
    def google_jwks_uri(self) -> str:
        return f"{self.google_url}/oauth2/v3/certs"

    @property
    def google_userinfo_endpoint(self) -> str:
        return f"{self.google_url}/v1/userinfo"

    @property
    def github_authorization_endpoint(self) -> str:
        return f"{self.github_url}/login/oauth/authorize"

    @property
    def github_token_endpoint(self) -> str:
        return f"{self.github_url}/login/oauth/access_token"

    @property
    def github_api_url(self) -> str:
        """Stands for ``https://api.github.com`` (``/user``, ``/user/emails``)."""
        return self.github_url

    # ---- controls ---------------------------------------------------------------------------------------------

    def credentials(self, provider: str) -> tuple[str, str]:
        """``(client_id, client_secret)`` the provider accepts."""
        return self._state.credentials[provider]

    def set_credentials(self, provider: str, client_id: str, client_secret: str) -> None:
        with self._state.lock:
            self._state.credentials[provider] = (client_id, client_secret)

    def set_google_profile(self, **claims: Any) -> None:
        """Replace the Google account's claims (id_token and userinfo); a ``None`` claim is left out."""
        with self._state.lock:
            self._state.google_profile = dict(claims)

    def update_google_profile(self, **claims: Any) -> None:
        """The default Google profile with ``claims`` on top."""
        self.set_google_profile(**{**DEFAULT_GOOGLE_PROFILE, **claims})

    def set_github_user(self, **fields: Any) -> None:
        """Replace the ``GET /user`` answer (``email=None`` as for a private e-mail address)."""
        with self._state.lock:
            self._state.github_user = dict(fields)

    def update_github_user(self, **fields: Any) -> None:
        """The default GitHub user with ``fields`` on top."""
        self.set_github_user(**{**DEFAULT_GITHUB_USER, **fields})

    def set_github_emails(self, emails: list[dict[str, Any]]) -> None:
        """Replace the ``GET /user/emails`` answer (``[{email, primary, verified, visibility}]``)."""
        with self._state.lock:
            self._state.github_emails = [dict(e) for e in emails]

    def fail(
        self,
        provider: str,
        endpoint: str,
        mode: str,
        status: int | None = None,
        times: int = 1,
        *,
        error: str | None = None,
        error_description: str | None = None,
    ) -> None:
        """Make the next ``times`` requests to one endpoint fail.

        ``provider``: ``google`` or ``github``; ``endpoint``: google ``authorize|token|certs|userinfo``, github
        ``authorize|token|user|emails``. ``mode``: ``deny`` (authorize only: redirect with ``error=access_denied``),
        ``status`` (that status, default 500), ``hang`` (no answer for 60 s), ``error_json`` (the provider's error
        shape: Google 400 ``{"error": "invalid_grant"}``, GitHub 200 ``{"error": "bad_verification_code"}``).
        """
        if endpoint not in ENDPOINTS[provider]:
            raise ValueError(f"unknown {provider} endpoint {endpoint!r}: one of {ENDPOINTS[provider]}")
        if mode not in FAILURE_MODES or (mode == "deny" and endpoint != "authorize"):
            raise ValueError(f"mode {mode!r} is not one of {FAILURE_MODES} (deny: authorize only)")
        with self._state.lock:
            self._state.failures[(provider, endpoint)] = Failure(mode, status, times, error, error_description)

    def requests(self, provider: str | None = None, endpoint: str | None = None) -> list[dict[str, Any]]:
        """Logged requests, oldest first: ``{provider, endpoint, method, path, query, headers, body}``."""
        with self._state.lock:
            return [
                dict(r)
                for r in self._state.log
                if (provider is None or r["provider"] == provider) and (endpoint is None or r["endpoint"] == endpoint)
            ]

    def clear_requests(self) -> None:
        with self._state.lock:
            self._state.log.clear()

    def reset(self) -> None:
        """Default profiles and credentials, no failures, empty log, no live codes or tokens."""
        lock = self._state.lock
        with lock:
            self._state = _State(lock=lock)

    def google_jwks(self) -> dict[str, Any]:
        """The JWKS served at ``/oauth2/v3/certs``."""
        return json.loads(json.dumps(self._jwks))  # type: ignore[no-any-return]

    def google_id_token(self, *, nonce: str | None = None, **claims: Any) -> str:
        """An id_token as the Google stand-in signs it (for ``idToken`` sign-in tests).

        Default claims: the current profile, ``iss``, ``aud``/``azp`` = the Google client id, ``iat``, ``exp`` in
        3599 s; ``claims`` override them (``None`` removes one).
        """
        with self._state.lock:
            profile = dict(self._state.google_profile)
            client_id = self._state.credentials["google"][0]
        return self._sign_google(profile, client_id, nonce, claims)

    # ---- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        self.google_url = self._serve(self._google_app())
        self.github_url = self._serve(self._github_app())

    def stop(self) -> None:
        for server, _ in self._servers:
            server.should_exit = True
        for _, thread in self._servers:
            thread.join(timeout=10)
        self._servers.clear()

    def _serve(self, app: Starlette) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"standin-{port}")
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"stand-in server on port {port} did not start")
            time.sleep(0.01)
        self._servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    # ---- shared request handling ------------------------------------------------------------------------------

    def _route(self, provider: str, endpoint: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Log the request, apply an injected failure, else run the handler with the parsed body."""

        async def endpoint_fn(request: Request) -> Response:
            raw = await request.body()
            body = _parse_body(request.headers.get("content-type", ""), raw)
            with self._state.lock:
                self._state.log.append(
                    {
                        "provider": provider,
                        "endpoint": endpoint,
                        "method": request.method,
                        "path": request.url.path,
                        "query": dict(request.query_params),
                        "headers": {k.lower(): v for k, v in request.headers.items()},
                        "body": body,
                    }
                )
            failure = self._state.take_failure(provider, endpoint)
            if failure is not None:
                return await self._fail(provider, endpoint, failure, request)
            form = body if isinstance(body, dict) else {}
            return await handler(request, {str(k): str(v) for k, v in form.items()})

        return endpoint_fn

    async def _fail(self, provider: str, endpoint: str, failure: Failure, request: Request) -> Response:
        description = failure.error_description or f"injected {failure.mode} failure at {provider} {endpoint}"
        status = failure.status
        if failure.mode == "hang":
            await asyncio.sleep(HANG_SECONDS)
            return Response(status_code=504)
        redirect_uri = request.query_params.get("redirect_uri")
        if endpoint == "authorize" and failure.mode in ("deny", "error_json") and redirect_uri:
            params = {"error": "access_denied" if failure.mode == "deny" else (failure.error or "server_error")}
            if provider == "github":
                params["error_description"] = failure.error_description or GITHUB_DENIED
            if "state" in request.query_params:
                params["state"] = request.query_params["state"]
            return RedirectResponse(_with_query(redirect_uri, params), status_code=302)
        if failure.mode == "error_json":
            if provider == "github" and endpoint == "token":
                error = failure.error or "bad_verification_code"
                return JSONResponse({"error": error, "error_description": description}, status_code=status or 200)
            error = failure.error or "invalid_grant"
            return JSONResponse({"error": error, "error_description": description}, status_code=status or 400)
        return JSONResponse({"error": "server_error", "error_description": description}, status_code=status or 500)

    def _authorize(self, provider: str, request: Request) -> Grant | Response:
        """Common authorize checks; the grant to issue a code for, or an error page (no redirect, as upstream)."""
        query = request.query_params
        client_id = self._state.credentials[provider][0]
        if query.get("client_id") != client_id:
            return PlainTextResponse(f"unknown client_id {query.get('client_id')!r}", status_code=400)
        redirect_uri = query.get("redirect_uri")
        if not redirect_uri:
            return PlainTextResponse("redirect_uri is required", status_code=400)
        method = query.get("code_challenge_method", "plain")
        if query.get("code_challenge") and method not in ("S256", "plain"):
            return PlainTextResponse(f"unsupported code_challenge_method {method}", status_code=400)
        return Grant(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=query.get("scope", ""),
            challenge=query.get("code_challenge") or None,
            method=method,
            nonce=query.get("nonce"),
            offline=query.get("access_type") == "offline",
        )

    def _redeem(self, provider: str, form: dict[str, str], request: Request) -> Grant | str:
        """Check a code exchange; the grant, or an error code (``invalid_client``, ``redirect_uri_mismatch``, ...)."""
        client_id, client_secret = _client_auth(request, form)
        if (client_id, client_secret) != self._state.credentials[provider]:
            return "invalid_client"
        with self._state.lock:
            grant = self._state.codes.get(form.get("code", ""))
            if grant is None or grant.used:
                return "invalid_code"
            grant.used = True
        if grant.client_id != client_id:
            return "invalid_code"
        if form.get("redirect_uri") != grant.redirect_uri:
            return "redirect_uri_mismatch"
        verifier = form.get("code_verifier")
        if grant.challenge is not None:
            if not verifier:
                return "missing_verifier"
            expected = s256(verifier) if grant.method == "S256" else verifier
            if expected != grant.challenge:
                return "invalid_verifier"
        return grant

    def _bearer(self, request: Request, provider: str) -> tuple[str, str] | None:
        """``(token, scope)`` of a valid access token in the Authorization header (``Bearer`` or ``token``)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or not token:
            return None
        with self._state.lock:
            entry = self._state.access_tokens.get(token.strip())
        if entry is None or entry[0] != provider:
            return None
        return token.strip(), entry[1]

    # ---- Google -----------------------------------------------------------------------------------------------

    def _sign_google(self, profile: dict[str, Any], client_id: str, nonce: str | None, extra: dict[str, Any]) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {"iss": GOOGLE_ISSUER, "azp": client_id, "aud": client_id}
        payload.update(profile)
        payload.update({"iat": now, "exp": now + 3599})
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(extra)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": GOOGLE_KID})

    def _google_app(self) -> Starlette:
        async def authorize(request: Request, _form: dict[str, str]) -> Response:
            grant = self._authorize("google", request)
            if isinstance(grant, Response):
                return grant
            if request.query_params.get("response_type") != "code":
                return PlainTextResponse("response_type must be code", status_code=400)
            code = "4/0A" + secrets.token_urlsafe(32)
            with self._state.lock:
                self._state.codes[code] = grant
            params = {"code": code, "scope": GOOGLE_SCOPE, "authuser": "0", "prompt": "consent"}
            if "state" in request.query_params:
                params = {"state": request.query_params["state"], **params}
            return RedirectResponse(_with_query(grant.redirect_uri, params), status_code=302)

        def error(code: str, description: str = "Bad Request", status: int = 400) -> JSONResponse:
            return JSONResponse({"error": code, "error_description": description}, status_code=status)

        def tokens(grant: Grant, *, refresh: bool) -> dict[str, Any]:
            access_token = "ya29." + secrets.token_urlsafe(48)
            with self._state.lock:
                self._state.access_tokens[access_token] = ("google", GOOGLE_SCOPE)
                profile = dict(self._state.google_profile)
            body: dict[str, Any] = {
                "access_token": access_token,
                "expires_in": 3599,
                "scope": GOOGLE_SCOPE,
                "token_type": "Bearer",
                "id_token": self._sign_google(profile, grant.client_id, None if refresh else grant.nonce, {}),
            }
            if grant.offline and not refresh:
                refresh_token = "1//0g" + secrets.token_urlsafe(48)
                with self._state.lock:
                    self._state.refresh_tokens[refresh_token] = grant
                body["refresh_token"] = refresh_token
            return body

        async def token(request: Request, form: dict[str, str]) -> Response:
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                result = self._redeem("google", form, request)
                if isinstance(result, Grant):
                    return JSONResponse(tokens(result, refresh=False), headers={"cache-control": "no-store"})
                return {
                    "invalid_client": error("invalid_client", "Unauthorized", 401),
                    "redirect_uri_mismatch": error("redirect_uri_mismatch"),
                    "missing_verifier": error("invalid_grant", "Missing code verifier."),
                    "invalid_verifier": error("invalid_grant", "Invalid code verifier."),
                }.get(result, error("invalid_grant", "Malformed auth code."))
            if grant_type == "refresh_token":
                client_id, client_secret = _client_auth(request, form)
                if (client_id, client_secret) != self._state.credentials["google"]:
                    return error("invalid_client", "Unauthorized", 401)
                with self._state.lock:
                    grant = self._state.refresh_tokens.get(form.get("refresh_token", ""))
                if grant is None or grant.client_id != client_id:
                    return error("invalid_grant", "Token has been expired or revoked.")
                return JSONResponse(tokens(grant, refresh=True), headers={"cache-control": "no-store"})
            return error("unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")

        async def certs(_request: Request, _form: dict[str, str]) -> Response:
            return JSONResponse(self._jwks)

        async def userinfo(request: Request, _form: dict[str, str]) -> Response:
            if self._bearer(request, "google") is None:
                return error("invalid_request", "Invalid Credentials", 401)
            with self._state.lock:
                profile = {k: v for k, v in self._state.google_profile.items() if v is not None}
            return JSONResponse(profile)

        return Starlette(
            routes=[
                Route("/o/oauth2/v2/auth", self._route("google", "authorize", authorize), methods=["GET"]),
                Route("/token", self._route("google", "token", token), methods=["POST"]),
                Route("/oauth2/v3/certs", self._route("google", "certs", certs), methods=["GET"]),
                Route("/v1/userinfo", self._route("google", "userinfo", userinfo), methods=["GET"]),
                Route("/oauth2/v3/userinfo", self._route("google", "userinfo", userinfo), methods=["GET"]),
            ]
        )

    # ---- GitHub -----------------------------------------------------------------------------------------------

    def _github_app(self) -> Starlette:
        docs = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"

        async def authorize(request: Request, _form: dict[str, str]) -> Response:
            grant = self._authorize("github", request)
            if isinstance(grant, Response):
                return grant
            code = secrets.token_hex(10)
            with self._state.lock:
                self._state.codes[code] = grant
            params = {"code": code}
            if "state" in request.query_params:
                params["state"] = request.query_params["state"]
            return RedirectResponse(_with_query(grant.redirect_uri, params), status_code=302)

        def answer(request: Request, body: dict[str, str]) -> Response:
            # Like GitHub: JSON only when asked for; form-encoded otherwise. Errors are 200s too.
            if "application/json" in request.headers.get("accept", ""):
                return JSONResponse(body)
            return PlainTextResponse(urlencode(body), media_type="application/x-www-form-urlencoded")

        async def access_token(request: Request, form: dict[str, str]) -> Response:
            params = {**dict(request.query_params), **form}
            result = self._redeem("github", params, request)
            if isinstance(result, Grant):
                token = "gho_" + secrets.token_urlsafe(27).replace("-", "a").replace("_", "b")[:36]
                scope = ",".join(s for s in result.scope.replace(",", " ").split() if s)
                with self._state.lock:
                    self._state.access_tokens[token] = ("github", scope)
                return answer(request, {"access_token": token, "token_type": "bearer", "scope": scope})
            error, description = GITHUB_TOKEN_ERRORS.get(result, GITHUB_TOKEN_ERRORS["invalid_code"])
            return answer(request, {"error": error, "error_description": description, "error_uri": f"{docs}#{error}"})

        def api_error(status: int, message: str) -> JSONResponse:
            return JSONResponse(
                {"message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status)},
                status_code=status,
            )

        def api_checks(request: Request) -> tuple[str, str] | Response:
            if not request.headers.get("user-agent"):
                return PlainTextResponse(
                    "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
                    status_code=403,
                )
            auth = self._bearer(request, "github")
            if auth is None:
                message = "Bad credentials" if "authorization" in request.headers else "Requires authentication"
                return api_error(401, message)
            return auth

        async def user(request: Request, _form: dict[str, str]) -> Response:
            auth = api_checks(request)
            if isinstance(auth, Response):
                return auth
            with self._state.lock:
                return JSONResponse(dict(self._state.github_user))

        async def emails(request: Request, _form: dict[str, str]) -> Response:
            auth = api_checks(request)
            if isinstance(auth, Response):
                return auth
            if "user:email" not in auth[1].split(",") and "user" not in auth[1].split(","):
                return api_error(404, "Not Found")
            with self._state.lock:
                return JSONResponse([dict(e) for e in self._state.github_emails])

        return Starlette(
            routes=[
                Route("/login/oauth/authorize", self._route("github", "authorize", authorize), methods=["GET"]),
                Route(
                    "/login/oauth/access_token", self._route("github", "token", access_token), methods=["POST", "GET"]
                ),
                Route("/user", self._route("github", "user", user), methods=["GET"]),
                Route("/user/emails", self._route("github", "emails", emails), methods=["GET"]),
            ]
        )


def _parse_body(content_type: str, raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if "application/json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(text, keep_blank_values=True))
    return text


def _client_auth(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """client_secret_basic (Authorization header) or client_secret_post (form)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        decoded = base64.b64decode(value).decode()
        client_id, _, client_secret = decoded.partition(":")
        return unquote(client_id), unquote(client_secret)
    return form.get("client_id"), form.get("client_secret")


def start_standins() -> StandIns:
    """Start both stand-ins (stop them with ``.stop()``)."""
    standins = StandIns()
    standins.start()
    return standins

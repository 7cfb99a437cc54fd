"""Loopback identity providers for the social sign-in tests, as pytest fixtures.

- ``mock_idp``: a generic OpenID Connect provider (``idp_mock.mjs``, oauth2-mock-server): no login UI, controllable
  claims, failure injection, id_token overrides, a log of the /token and /userinfo requests.
- ``strict_idp``: panva's oidc-provider (``idp_strict.mjs``), OpenID-Certified, for the strict negatives (missing or
  wrong ``code_verifier``, replayed code, wrong redirect_uri) with a real login + consent interaction driven by
  :func:`drive_strict_login`.
- ``standins``: Google- and GitHub-shaped stand-ins written in Python (``standins.py``), no node needed.

The node providers run from tests/interop/node_modules (``npm ci`` from the lockfile when a package is missing);
without node they skip locally and fail in CI (``tests/_services.py::unavailable``). Each process is started once
per session; the per-test fixtures reset its state first, so tests may change anything.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest

from tests._services import install_node_modules, require_node

from .standins import StandIns, start_standins

SOCIAL_DIR = Path(__file__).resolve().parent
READY_TIMEOUT = 30.0
NPM_PACKAGES = ("oauth2-mock-server", "oidc-provider", "jose")

STRICT_CLIENT_ID = "strict-client"
STRICT_CLIENT_SECRET = "strict-secret"
DEFAULT_STRICT_REDIRECT_URIS = (
    "http://localhost:8000/api/auth/callback/strict",
    "http://127.0.0.1:8000/api/auth/callback/strict",
)
"""Allowed at start-up; ``strict_idp.set_redirect_uris([...])`` replaces them for a test (reset afterwards)."""

MOCK_DEFAULT_PROFILE: dict[str, Any] = {
    "sub": "user-1",
    "email": "oidc-user@example.com",
    "email_verified": True,
    "name": "OIDC User",
}
"""The mock's profile after every reset (keep in sync with DEFAULT_PROFILE in idp_mock.mjs)."""


@dataclass
class NodeIdP:
    """A node identity provider process; ``url`` is its issuer (``http://127.0.0.1:N``, no trailing slash)."""

    name: str
    url: str
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path = field(repr=False)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=5.0), repr=False)
    """One client for the control calls (a new httpx client per call costs ~40 ms)."""

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def discovery(self) -> dict[str, Any]:
        """The provider's discovery document."""
        response = self.http.get(self.discovery_url)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def logs(self, limit: int = 6000) -> str:
        """The tail of the process's stderr (warnings, crashes)."""
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def control(self, method: str, name: str, body: Any = None) -> Any:
        """Call the control API (``/__control/<name>``); fail the test with the process log when it refuses."""
        response = self.http.request(method, f"{self.url}/__control/{name}", json=body)
        if response.status_code != 200:
            pytest.fail(f"{self.name} control {method} {name} -> {response.status_code} {response.text}\n{self.logs()}")
        return response.json()

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


class MockIdP(NodeIdP):
    """``idp_mock.mjs`` (oauth2-mock-server): endpoints ``/authorize``, ``/token``, ``/userinfo``, ``/jwks``."""

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.url}/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.url}/token"

    @property
    def userinfo_endpoint(self) -> str:
        return f"{self.url}/userinfo"

    @property
    def jwks_uri(self) -> str:
        return f"{self.url}/jwks"

    def set_profile(self, **claims: Any) -> None:
        """Replace the profile (id_token and userinfo claims); ``None`` values become JSON ``null`` claims."""
        self.control("POST", "profile", claims)

    def update_profile(self, **claims: Any) -> None:
        """The default profile with ``claims`` on top."""
        self.set_profile(**{**MOCK_DEFAULT_PROFILE, **claims})

    def fail(
        self,
        endpoint: str,
        mode: str,
        status: int | None = None,
        times: int = 1,
        *,
        error: str | None = None,
        error_description: str | None = None,
    ) -> None:
        """Make the next ``times`` requests to ``endpoint`` fail.

        ``endpoint``: ``authorize``, ``token``, ``userinfo``, ``jwks`` or ``discovery``. ``mode``: ``deny``
        (authorize only: 302 to the redirect_uri with ``error=access_denied``), ``status`` (that status, default 500,
        with a small JSON body), ``hang`` (no answer for 60 s) or ``error_json`` (``status``, default 400, with
        ``{"error": error or "invalid_grant"}``; at authorize a 302 with that error).
        """
        body: dict[str, Any] = {"endpoint": endpoint, "mode": mode, "times": times}
        for key, value in (("status", status), ("error", error), ("error_description", error_description)):
            if value is not None:
                body[key] = value
        self.control("POST", "fail", body)

    def override_id_token(self, **overrides: Any) -> None:
        """Change the next id_token only: ``iss``, ``aud``, ``exp_offset``/``iat_offset`` (seconds from now),
        ``nonce`` (``None`` drops it), ``claims`` (dict merged last), ``alg`` (``"none"`` or ``"HS256"``, keyed with
        ``secret`` or else the client_secret sent), ``foreign_key=True`` (RS256 by a key missing from /jwks)."""
        self.control("POST", "id_token", overrides)

    def override_authorize(self, **overrides: Any) -> None:
        """Change the next authorize redirect only: ``iss`` (RFC 9207 parameter; ``None`` leaves it out),
        ``params`` (dict of extra query parameters; ``None`` values remove one)."""
        self.control("POST", "authorize", overrides)

    def set_strict(self, strict: bool) -> None:
        """``False``: oauth2-mock-server's own, lenient token/userinfo checks only (see idp_mock.mjs)."""
        self.control("POST", "config", {"strict": strict})

    def requests(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        """Recorded /token and /userinfo requests, oldest first: ``{endpoint, method, path, query, headers, body}``
        (``headers`` lower-cased, ``body`` the parsed form or JSON)."""
        recorded: list[dict[str, Any]] = self.control("GET", "requests")
        return [r for r in recorded if endpoint is None or r["endpoint"] == endpoint]

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def reset(self) -> None:
        """Default profile, no failures or overrides, empty request log, strict checks on."""
        self.control("POST", "reset")


class StrictIdP(NodeIdP):
    """``idp_strict.mjs`` (oidc-provider): endpoints ``/auth``, ``/token``, ``/me``, ``/jwks``."""

    client_id = STRICT_CLIENT_ID
    client_secret = STRICT_CLIENT_SECRET

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.url}/auth"

    @property
    def token_endpoint(self) -> str:
        return f"{self.url}/token"

    @property
    def userinfo_endpoint(self) -> str:
        return f"{self.url}/me"

    @property
    def jwks_uri(self) -> str:
        return f"{self.url}/jwks"

    def set_redirect_uris(self, redirect_uris: Sequence[str]) -> None:
        """Replace the redirect URIs the client may use (exact match)."""
        self.control("POST", "redirect_uris", {"redirect_uris": list(redirect_uris)})

    def set_account(self, account_id: str, **claims: Any) -> None:
        """Override claims of one account (default ``<id>@example.com``, verified, ``Strict <id>``); ``None`` drops."""
        self.control("POST", "account", {"id": account_id, "claims": claims})

    def reset(self) -> None:
        self.control("POST", "reset")

    def login(self, authorization_url: str, *, account_id: str = "user-1", consent: bool = True) -> httpx.URL:
        """Sign in as ``account_id`` at an authorization URL; the redirect to the client (see drive_strict_login)."""
        return drive_strict_login(authorization_url, account_id=account_id, consent=consent)


def drive_strict_login(
    authorization_url: str,
    *,
    account_id: str = "user-1",
    password: str = "any-password",
    consent: bool = True,
    client: httpx.Client | None = None,
) -> httpx.URL:
    """Play the browser at oidc-provider's devInteractions: the login form, then the consent form.

    Follows the provider's own redirects (GET /auth -> /interaction/<uid> login form -> POST -> /auth/<uid> ->
    consent form -> POST -> /auth/<uid> -> redirect_uri: 2 form POSTs, 7 hops) and returns the first redirect that
    leaves the provider: the client's redirect_uri with ``code``, ``state`` and ``iss`` (or ``error`` when
    ``consent=False``, which aborts at the consent step). A fresh cookie jar by default, so every call logs in.
    """
    own_client = client is None
    http = client or httpx.Client(timeout=10.0)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorization_url))
    try:
        url = authorization_url
        response = http.get(url)
        for _ in range(20):
            if response.is_redirect:
                location = urljoin(url, response.headers["location"])
                if not location.startswith(origin + "/"):
                    return httpx.URL(location)
                url = location
                response = http.get(url)
                continue
            if response.status_code != 200 or "<form" not in response.text:
                raise AssertionError(f"unexpected answer at {url}: {response.status_code}\n{response.text[:2000]}")
            html = response.text
            if 'name="prompt" value="login"' in html:
                form = {"prompt": "login", "login": account_id, "password": password}
                target = url
            elif 'name="prompt" value="consent"' in html:
                if not consent:
                    url = url.rstrip("/") + "/abort"
                    response = http.get(url)
                    continue
                form = {"prompt": "consent"}
                target = url
            else:
                raise AssertionError(f"unknown interaction form at {url}:\n{html[:2000]}")
            response = http.post(target, data=form)
            url = target
        raise AssertionError(f"no redirect to the client after 20 hops (last {url})")
    finally:
        if own_client:
            http.close()


def query_params(url: httpx.URL | str) -> dict[str, str]:
    """The query of a redirect as a dict (last value wins)."""
    return dict(parse_qsl(urlsplit(str(url)).query, keep_blank_values=True))


def _start_node_idp(
    cls: type[NodeIdP], name: str, script: str, log_dir: Path, env: dict[str, str] | None = None
) -> NodeIdP:
    node = require_node()
    install_node_modules(NPM_PACKAGES)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, str(SOCIAL_DIR / script), "0"],
            cwd=SOCIAL_DIR,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT
    line = b""
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            break
    if not line.startswith(b"{"):
        process.kill()
        process.wait(timeout=5)
        log_text = log_path.read_text(errors="replace")[-4000:]
        pytest.fail(f"{script} did not print its URL within {READY_TIMEOUT}s (exit {process.returncode}):\n{log_text}")
    url = json.loads(line)["url"]
    return cls(name=name, url=url, process=process, log_path=log_path)


@pytest.fixture(scope="session")
def _mock_idp_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockIdP]:
    idp = _start_node_idp(MockIdP, "mock-idp", "idp_mock.mjs", tmp_path_factory.mktemp("mock-idp"))
    assert isinstance(idp, MockIdP)
    try:
        yield idp
    finally:
        idp.stop()


@pytest.fixture
def mock_idp(_mock_idp_process: MockIdP) -> MockIdP:
    """The generic OIDC provider (one process per session), reset for this test."""
    _mock_idp_process.reset()
    return _mock_idp_process


@pytest.fixture(scope="session")
def _strict_idp_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StrictIdP]:
    idp = _start_node_idp(
        StrictIdP,
        "strict-idp",
        "idp_strict.mjs",
        tmp_path_factory.mktemp("strict-idp"),
        env={"REDIRECT_URIS": ",".join(DEFAULT_STRICT_REDIRECT_URIS)},
    )
    assert isinstance(idp, StrictIdP)
    try:
        yield idp
    finally:
        idp.stop()


@pytest.fixture
def strict_idp(_strict_idp_process: StrictIdP) -> StrictIdP:
    """The strict OIDC provider (one process per session), redirect URIs and accounts reset for this test."""
    _strict_idp_process.reset()
    return _strict_idp_process


@pytest.fixture(scope="session")
def _standins_server() -> Iterator[StandIns]:
    standins = start_standins()
    try:
        yield standins
    finally:
        standins.stop()


@pytest.fixture
def standins(_standins_server: StandIns) -> StandIns:
    """The Google and GitHub stand-ins (one pair of servers per session), reset for this test."""
    _standins_server.reset()
    return _standins_server

"""The node example clients (examples/clients/node: the official client, mobile and browser kinds) against the todo
example served by uvicorn, on SQLite and PostgreSQL (docs/modes/tokens.md, issue 15 item 1).

Each test drives a client through token_clients_flow.mjs one command at a time (so the test can act on the
database between commands) and checks what happened on the wire: refresh before expiry (the client's clock is
the test's), refresh after expiry (a 401 for an expired JWT, then one new JWT and one retry), persistence across a
restart (a new node process, and the example's own command line), the end of the refresh credential
(``SignInRequired``), and sign-out.
"""

from __future__ import annotations

import json
import select
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt
import pytest

from .conftest import (
    FLOW_TIMEOUT,
    INTEROP_DIR,
    ORIGIN,
    REPO_ROOT,
    SECRET,
    Server,
    clean_env,
    db_query,
    db_time,
    python_database_url,
)

pytestmark = pytest.mark.interop

EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple"
KINDS = ["mobile", "browser"]
MINT_PATH = {"mobile": "/api/auth/token", "browser": "/api/auth/get-session"}
"""Where each kind mints its JWT: the jwt plugin's GET /token, or the set-auth-jwt header of get-session."""
HOOK = "./tests/interop/pinned_packages.mjs"
"""``node --import`` this (from the repository root) to run the examples with tests/interop's pinned packages."""


class NodeClient:
    """A process of token_clients_flow.mjs: ``client("api", path="/api/tasks")`` sends a command, returns its answer."""

    def __init__(self, node: str, kind: str, server: Server, store: Path, log: Path) -> None:
        self.kind = kind
        self.log = log
        args = [kind, server.url, str(store), ORIGIN]
        with log.open("ab") as stderr:
            self.process = subprocess.Popen(
                [node, "--import", "./pinned_packages.mjs", "token_clients_flow.mjs", *args],
                cwd=INTEROP_DIR,
                env=clean_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )

    def __call__(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], FLOW_TIMEOUT)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.close()
            pytest.fail(f"{self.kind} client gave no answer to {op!r}:\n{self.log.read_text()[-3000:]}", pytrace=False)
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ok(self, op: str, **args: Any) -> dict[str, Any]:
        """A command that must succeed."""
        answer = self(op, **args)
        assert answer["ok"], f"{op} failed: {answer['error']} (requests: {answer['exchanges']})"
        return answer

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def todo_server(database: str, start_example: Callable[[str, str], Server]) -> Server:
    """The todo example under uvicorn on a fresh database (``ORIGIN`` trusted), with one user signed up."""
    server = start_example("todo", python_database_url(database))
    signed_up = httpx.post(
        f"{server.url}/api/auth/sign-up/email",
        json={"email": EMAIL, "password": PASSWORD, "name": "Ada"},
        headers={"origin": ORIGIN},
    )
    assert signed_up.status_code == 200, signed_up.text
    return server


@pytest.fixture
def start_client(node: str, node_modules: Path, tmp_path: Path) -> Iterator[Callable[[str, Server, Path], NodeClient]]:
    """``start_client(kind, server, store)``: a new client process (a restart, when ``store`` was used before)."""
    started: list[NodeClient] = []

    def start(kind: str, server: Server, store: Path) -> NodeClient:
        client = NodeClient(node, kind, server, store, tmp_path / f"{kind}-client.log")
        started.append(client)
        return client

    yield start
    for client in started:
        client.close()


def run_cli(node: str, kind: str, server: Server, store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The example's own command line, as its README says to run it (with the pinned packages)."""
    script = f"examples/clients/node/{kind}_client.mjs"
    command = [node, "--import", HOOK, script, "--base", server.url, "--store", str(store), "--origin", ORIGIN, *args]
    return subprocess.run(
        command, cwd=REPO_ROOT, env=clean_env(), capture_output=True, text=True, timeout=FLOW_TIMEOUT, check=False
    )


def requests(answer: dict[str, Any]) -> list[tuple[str, int]]:
    return [(e["path"], e["status"]) for e in answer["exchanges"]]


def expiry(jwt: str) -> float:
    return float(pyjwt.decode(jwt, options={"verify_signature": False})["exp"])


@pytest.mark.parametrize("kind", KINDS)
def test_refresh_before_expiry(
    kind: str, todo_server: Server, start_client: Callable[[str, Server, Path], NodeClient], tmp_path: Path
) -> None:
    client = start_client(kind, todo_server, tmp_path / "store")
    client.ok("signIn", email=EMAIL, password=PASSWORD)
    created = client.ok("api", method="POST", path="/api/tasks", body={"title": "water the plants"})
    assert created["result"]["status"] == 201, created
    listed = client.ok("tasks")
    assert listed["result"] == ["water the plants"]
    assert listed["state"]["minted"] == 1, "a fresh JWT is reused, not minted per call"
    assert requests(listed) == [("/api/tasks", 200)]
    jwt = listed["state"]["jwt"]
    exp = expiry(jwt)
    assert 890 <= exp - time.time() <= 900, "the jwt plugin's 15 minutes"

    client.ok("clock", at=exp - 61)  # 61 s before exp: still fresh enough
    still = client.ok("tasks")
    assert still["state"]["minted"] == 1 and still["state"]["jwt"] == jwt
    assert requests(still) == [("/api/tasks", 200)]

    client.ok("clock", at=exp - 59)  # within a minute of exp: minted again before the call, no 401 first
    refreshed = client.ok("tasks")
    assert refreshed["result"] == ["water the plants"]
    assert refreshed["state"]["minted"] == 2
    assert requests(refreshed) == [(MINT_PATH[kind], 200), ("/api/tasks", 200)]
    assert expiry(refreshed["state"]["jwt"]) >= exp


@pytest.mark.parametrize("kind", KINDS)
def test_refresh_after_expiry(
    kind: str, todo_server: Server, start_client: Callable[[str, Server, Path], NodeClient], tmp_path: Path
) -> None:
    client = start_client(kind, todo_server, tmp_path / "store")
    client.ok("signIn", email=EMAIL, password=PASSWORD)
    client.ok("api", method="POST", path="/api/tasks", body={"title": "renew the passport"})
    user_id = pyjwt.decode(client.ok("state")["state"]["jwt"], options={"verify_signature": False})["sub"]

    # An access token the todo API accepts (HS256 with the shared secret, seed 002), except that it has expired;
    # the client's clock lags the server's, so the client still thinks it fresh and only the API's 401 tells it.
    now = time.time()
    valid = pyjwt.encode({"sub": user_id, "iat": int(now), "exp": int(now) + 300}, SECRET, algorithm="HS256")
    expired = pyjwt.encode({"sub": user_id, "iat": int(now) - 1000, "exp": int(now) - 100}, SECRET, algorithm="HS256")
    for token, status in ((valid, 200), (expired, 401)):
        answer = httpx.get(f"{todo_server.url}/api/tasks", headers={"authorization": f"Bearer {token}"})
        assert answer.status_code == status, answer.text
    client.ok("setJwt", jwt=expired)
    client.ok("clock", at=now - 1000)

    listed = client.ok("api", path="/api/tasks")
    assert listed["result"]["status"] == 200
    assert [t["title"] for t in listed["result"]["body"]] == ["renew the passport"]
    # 401 for the expired JWT, exactly one new JWT, exactly one retry.
    assert requests(listed) == [("/api/tasks", 401), (MINT_PATH[kind], 200), ("/api/tasks", 200)]
    assert listed["state"]["minted"] == 2
    assert listed["state"]["jwt"] != expired


@pytest.mark.parametrize("kind", KINDS)
def test_persistence_across_restart(
    kind: str,
    todo_server: Server,
    start_client: Callable[[str, Server, Path], NodeClient],
    node: str,
    tmp_path: Path,
) -> None:
    store = tmp_path / "profile" / "credential"
    first = start_client(kind, todo_server, store)
    first.ok("signIn", email=EMAIL, password=PASSWORD)
    first.ok("api", method="POST", path="/api/tasks", body={"title": "call the plumber"})
    first.close()
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.parent.stat().st_mode) == 0o700

    # A new process with the same store: signed in without signing in, its own JWT minted from the stored credential.
    again = start_client(kind, todo_server, store)
    assert again.ok("state")["state"] == {"signedIn": True, "minted": 0, "jwt": None, "clock": None}
    listed = again.ok("tasks")
    assert listed["result"] == ["call the plumber"]
    assert requests(listed) == [(MINT_PATH[kind], 200), ("/api/tasks", 200)]

    # The example's command line, as documented, in a third process.
    cli = run_cli(node, kind, todo_server, store)
    assert (cli.returncode, cli.stdout) == (0, "[ ] call the plumber\n"), cli.stderr

    # The stored credential is what kept them signed in: with an empty store, sign-in is required.
    empty = start_client(kind, todo_server, tmp_path / "elsewhere" / "credential")
    refused = empty("tasks")
    assert not refused["ok"] and refused["error"]["name"] == "SignInRequired"
    assert refused["exchanges"] == []
    cli = run_cli(node, kind, todo_server, tmp_path / "elsewhere" / "credential")
    assert cli.returncode == 2 and "sign-in required" in cli.stderr, (cli.stdout, cli.stderr)


@pytest.mark.parametrize("kind", KINDS)
def test_expired_session_requires_sign_in(
    kind: str,
    todo_server: Server,
    database: str,
    start_client: Callable[[str, Server, Path], NodeClient],
    node: str,
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    client = start_client(kind, todo_server, store)
    client.ok("signIn", email=EMAIL, password=PASSWORD)
    client.ok("api", method="POST", path="/api/tasks", body={"title": "book the dentist"})
    exp = expiry(client.ok("state")["state"]["jwt"])

    # The session (the refresh credential) runs out, as after `session.expires_in` without use.
    past = db_time(database, datetime.now(UTC) - timedelta(minutes=1))
    ended = db_query(database, 'update "session" set "expiresAt" = $1 returning id', past)
    assert len(ended) == 2  # the sign-up's session and the client's

    # The JWT already issued stays valid until its exp (docs/modes/tokens.md): the session is not looked at.
    assert client.ok("tasks")["result"] == ["book the dentist"]
    # Once it must be refreshed, minting fails and the client says sign-in is required.
    client.ok("clock", at=exp - 30)
    refused = client("tasks")
    assert not refused["ok"] and refused["error"]["name"] == "SignInRequired", refused
    mint_status = 401 if kind == "mobile" else 200  # get-session answers 200 with a null body
    assert requests(refused) == [(MINT_PATH[kind], mint_status)]
    assert refused["state"]["signedIn"] is False and refused["state"]["minted"] == 1
    assert not store.exists(), "the dead credential is forgotten"
    # Signing in again works, and a restarted command-line client is signed in with the new credential.
    client.ok("signIn", email=EMAIL, password=PASSWORD)
    assert client.ok("tasks")["result"] == ["book the dentist"]
    cli = run_cli(node, kind, todo_server, store)
    assert (cli.returncode, cli.stdout) == (0, "[ ] book the dentist\n"), cli.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_sign_out(
    kind: str,
    todo_server: Server,
    start_client: Callable[[str, Server, Path], NodeClient],
    node: str,
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    client = start_client(kind, todo_server, store)
    client.ok("signIn", email=EMAIL, password=PASSWORD)
    client.ok("api", method="POST", path="/api/tasks", body={"title": "lock the door"})
    stored = store.read_text()

    def mints(credential: str) -> bool:
        """Whether the stored credential (bearer session token, or the cookie jar) still gets a JWT."""
        if kind == "mobile":
            answer = httpx.get(f"{todo_server.url}/api/auth/token", headers={"authorization": f"Bearer {credential}"})
            return answer.status_code == 200 and bool(answer.json()["token"])
        cookie = "; ".join(f"{name}={value}" for name, value in json.loads(credential).items())
        answer = httpx.get(f"{todo_server.url}/api/auth/get-session", headers={"cookie": cookie, "origin": ORIGIN})
        return answer.status_code == 200 and answer.json() is not None and "set-auth-jwt" in answer.headers

    assert mints(stored)
    signed_out = client.ok("signOut")
    assert requests(signed_out) == [("/api/auth/sign-out", 200)]
    assert signed_out["state"]["signedIn"] is False and not store.exists()
    assert not mints(stored), "the signed-out credential must not mint JWTs any more"
    refused = client("tasks")
    assert not refused["ok"] and refused["error"]["name"] == "SignInRequired"
    assert refused["exchanges"] == []
    # A restarted client has nothing to sign in with either.
    cli = run_cli(node, kind, todo_server, store)
    assert cli.returncode == 2 and "sign-in required" in cli.stderr, (cli.stdout, cli.stderr)

"""The official Better Auth JS client through social sign-in with a generic OpenID Connect provider.

social_flow.mjs drives ``createAuthClient`` (``signIn.social``, ``linkSocial``, ``listAccounts``, ``getAccessToken``,
``refreshToken``, ``unlinkAccount``) against a server configured with the ``local`` provider on the loopback mock
identity provider (tests/social/idp_mock.mjs, ``mock_idp``), making the browser's hops to the IdP and back by
hand. It runs against the Python server on SQLite and PostgreSQL, and against the real Better Auth 1.7.24 server
(``genericOAuth``) as a harness self-check: the flow's expectations are Better Auth's own behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import FlowResult, OidcProvider, Server, assert_flow, db_query, python_database_url, run_node_script

pytestmark = pytest.mark.interop

STEPS = [
    "signIn.social answers the authorization URL",
    "callback signs up and redirects to newUserCallbackURL",
    "get-session shows the new user",
    "listAccounts shows the local account with its scopes",
    "getAccessToken returns the IdP's access token",
    "refreshToken gets new tokens from the IdP",
    "a second browser signs in and lands on callbackURL",
    "linkSocial links the IdP account of an email/password user",
    "unlinkAccount",
    "sign-in with the unlinked IdP account: account_not_linked (local email unverified)",
    "the IdP denies: errorCallbackURL with error=access_denied",
    "a callback without the state cookie is refused, the rightful browser then finishes",
    "users",
]


def run_social_flow(node: str, server: Server, idp_url: str) -> FlowResult:
    flow = run_node_script(node, "social_flow.mjs", server.url, IDP_URL=idp_url)
    assert_flow(flow, server, STEPS)
    return flow


def check_database(database: str, users: dict[str, Any]) -> None:
    """What the flow left in the database: Dora's one IdP account, Carol's credential only, no flow state."""
    dora, carol = users["dora"], users["carol"]
    [user] = db_query(database, 'select * from "user" where id = $1', dora["id"])
    assert (user["email"], user["name"], user["image"]) == (dora["email"], dora["name"], dora["picture"])
    assert bool(user["emailVerified"]) is True
    [account] = db_query(database, 'select * from account where "userId" = $1', dora["id"])
    assert (account["id"], account["providerId"], account["accountId"]) == (dora["account"], "local", dora["sub"])
    assert account["scope"] == "openid,email,profile" and account["password"] is None
    assert account["accessToken"] and account["refreshToken"] and account["idToken"]
    rows = db_query(database, 'select "providerId" from account where "userId" = $1', carol["id"])
    assert [r["providerId"] for r in rows] == ["credential"]
    assert db_query(database, 'select * from account where "accountId" = $1', carol["sub"]) == []
    # Every flow consumed its state row, the denied one and the one a stranger tried to finish included.
    assert db_query(database, "select identifier from verification where identifier like 'auth-state:%'") == []


def test_harness_against_real_better_auth(
    node: str,
    node_modules: Path,
    start_ts_server: Callable[..., Server],
    database: str,
    mock_idp: Any,
    oidc_provider: OidcProvider,
) -> None:
    """The flow's expectations hold against Better Auth 1.7.24 itself (genericOAuth on the same mock IdP)."""
    server = start_ts_server(database, migrate=True, oidc=oidc_provider)
    flow = run_social_flow(node, server, mock_idp.url)
    check_database(database, flow.by_name()["users"]["data"])


def test_official_client_social_flow_against_python(
    database: str,
    node: str,
    node_modules: Path,
    start_py_server: Callable[..., Server],
    mock_idp: Any,
    oidc_provider: OidcProvider,
) -> None:
    server = start_py_server(python_database_url(database), oidc=oidc_provider)
    flow = run_social_flow(node, server, mock_idp.url)
    check_database(database, flow.by_name()["users"]["data"])
    # The IdP saw client_secret_post code exchanges with PKCE: A, B, C's link, C's refused sign-in, E (D was denied
    # before a code existed; F's attempt stopped at the state check, before the exchange).
    exchanges = [r["body"] for r in mock_idp.requests("token") if r["body"].get("grant_type") == "authorization_code"]
    assert len(exchanges) == 5
    for body in exchanges:
        assert body["client_id"] == "local-client" and body["client_secret"] == "local-client-secret"
        assert body["redirect_uri"] == f"{server.url}/api/auth/callback/local"
        assert len(body["code_verifier"]) == 128

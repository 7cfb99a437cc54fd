"""Self-tests of the loopback identity providers: the social sign-in tests rely on them refusing what real providers
refuse (wrong or missing PKCE verifier, replayed codes, forged id_tokens), so a provider that silently accepts
everything would make those tests pass for the wrong reason."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import httpx
import jwt
import pytest

from .conftest import DEFAULT_STRICT_REDIRECT_URIS, MockIdP, StrictIdP, query_params
from .standins import GOOGLE_ISSUER, GOOGLE_SCOPE, StandIns

REDIRECT_URI = "http://127.0.0.1:9/api/auth/callback/test"
"""Never contacted: the providers only put it in a Location header."""


def pkce_pair() -> tuple[str, str]:
    """A fresh ``(code_verifier, S256 code_challenge)``, as Better Auth makes them."""
    verifier = secrets.token_urlsafe(96)[:128]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(url: str, **params: str) -> dict[str, str]:
    """GET an authorization endpoint that redirects at once; the query of the redirect to the client."""
    response = httpx.get(url, params=params, timeout=5.0)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(params.get("redirect_uri", REDIRECT_URI)), location
    return query_params(location)


def verify_with_jwks(token: str, jwks_uri: str, *, audience: str, issuer: str) -> dict[str, Any]:
    """Verify an RS256 JWT with PyJWT against the provider's published JWKS (as a relying party would)."""
    jwks = jwt.PyJWKSet.from_dict(httpx.get(jwks_uri, timeout=5.0).json())
    kid = jwt.get_unverified_header(token).get("kid")
    key = next((k for k in jwks.keys if k.key_id == kid), jwks.keys[0])
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=issuer)  # type: ignore[no-any-return]


# ---- mock_idp (oauth2-mock-server) ----------------------------------------------------------------------------------

MOCK_CLIENT = {"client_id": "mock-client", "client_secret": "mock-secret"}


def mock_code(idp: MockIdP, challenge: str | None, nonce: str = "nonce-1", state: str = "state-1") -> str:
    params = {
        "response_type": "code",
        "client_id": MOCK_CLIENT["client_id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile",
        "state": state,
        "nonce": nonce,
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    query = authorize(idp.authorization_endpoint, **params)
    assert query["state"] == state
    assert query["iss"] == idp.issuer
    return query["code"]


def mock_token(idp: MockIdP, code: str, verifier: str | None, **extra: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **MOCK_CLIENT, **extra}
    if verifier is not None:
        form["code_verifier"] = verifier
    return httpx.post(idp.token_endpoint, data=form, headers={"accept": "application/json"}, timeout=5.0)


@pytest.mark.interop
def test_mock_idp_code_flow_echoes_nonce_and_profile(mock_idp: MockIdP) -> None:
    """Discovery, authorize, token and userinfo work together; the id_token carries the nonce and the profile."""
    discovery = mock_idp.discovery()
    assert discovery["issuer"] == mock_idp.url == mock_idp.issuer
    assert discovery["jwks_uri"] == mock_idp.jwks_uri
    mock_idp.set_profile(sub="sub-42", email="someone@example.com", email_verified=False, name="Some One", extra=1)

    verifier, challenge = pkce_pair()
    response = mock_token(mock_idp, mock_code(mock_idp, challenge, nonce="the-nonce"), verifier)
    assert response.status_code == 200, response.text
    tokens = response.json()
    claims = verify_with_jwks(
        tokens["id_token"], discovery["jwks_uri"], audience=MOCK_CLIENT["client_id"], issuer=mock_idp.url
    )
    assert claims["nonce"] == "the-nonce"
    assert (claims["sub"], claims["email"], claims["email_verified"], claims["extra"]) == (
        "sub-42",
        "someone@example.com",
        False,
        1,
    )
    userinfo = httpx.get(mock_idp.userinfo_endpoint, headers={"authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == "sub-42"
    assert httpx.get(mock_idp.userinfo_endpoint).status_code == 401

    token_requests = mock_idp.requests("token")
    assert token_requests[-1]["body"]["code_verifier"] == verifier
    assert token_requests[-1]["headers"]["accept"] == "application/json"
    assert [r["endpoint"] for r in mock_idp.requests()] == ["token", "userinfo", "userinfo"]


@pytest.mark.interop
def test_mock_idp_refuses_wrong_or_missing_verifier_and_replayed_code(mock_idp: MockIdP) -> None:
    """PKCE S256 is enforced and codes are single-use (checks idp_mock.mjs adds in front of the package)."""
    verifier, challenge = pkce_pair()
    wrong = mock_token(mock_idp, mock_code(mock_idp, challenge), pkce_pair()[0])
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    missing = mock_token(mock_idp, mock_code(mock_idp, challenge), None)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_grant")
    code = mock_code(mock_idp, challenge)
    assert mock_token(mock_idp, code, verifier).status_code == 200
    replay = mock_token(mock_idp, code, verifier)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    bad_redirect = mock_token(mock_idp, mock_code(mock_idp, challenge), verifier, redirect_uri="http://127.0.0.1:9/x")
    assert bad_redirect.status_code == 400


@pytest.mark.interop
def test_mock_idp_lenient_mode_is_the_package_behaviour(mock_idp: MockIdP) -> None:
    """What oauth2-mock-server 9.3.0 does by itself (recorded in idp_mock.mjs): only a wrong verifier is refused."""
    mock_idp.set_strict(False)
    verifier, challenge = pkce_pair()
    wrong = mock_token(mock_idp, mock_code(mock_idp, challenge), pkce_pair()[0])
    assert wrong.status_code == 400
    assert wrong.json()["detail"] == "code_verifier provided does not match code_challenge"
    assert mock_token(mock_idp, mock_code(mock_idp, challenge), None).status_code == 200
    code = mock_code(mock_idp, challenge)
    assert mock_token(mock_idp, code, verifier).status_code == 200
    assert mock_token(mock_idp, code, None).status_code == 200
    assert mock_token(mock_idp, code, verifier).json()["detail"] == "code_challenge required"


@pytest.mark.interop
def test_mock_idp_deny_and_failure_modes(mock_idp: MockIdP) -> None:
    """deny redirects with access_denied (once); status, error_json and hang fail the next request only."""
    mock_idp.fail("authorize", "deny")
    params = {"response_type": "code", "client_id": "c", "redirect_uri": REDIRECT_URI, "state": "s-deny"}
    denied = authorize(mock_idp.authorization_endpoint, **params)
    assert (denied["error"], denied["state"]) == ("access_denied", "s-deny")
    assert "error_description" in denied
    assert "code" in authorize(mock_idp.authorization_endpoint, **params)

    mock_idp.fail("discovery", "status", status=503)
    assert httpx.get(mock_idp.discovery_url).status_code == 503
    assert httpx.get(mock_idp.discovery_url).status_code == 200

    verifier, challenge = pkce_pair()
    mock_idp.fail("token", "error_json")
    failed = mock_token(mock_idp, mock_code(mock_idp, challenge), verifier)
    assert (failed.status_code, failed.json()["error"]) == (400, "invalid_grant")

    mock_idp.fail("jwks", "hang")
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(mock_idp.jwks_uri, timeout=0.3)
    assert httpx.get(mock_idp.jwks_uri).status_code == 200


@pytest.mark.interop
@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"iss": "http://127.0.0.1:1"}, jwt.InvalidIssuerError),
        ({"aud": "someone-else"}, jwt.InvalidAudienceError),
        ({"exp_offset": -3600}, jwt.ExpiredSignatureError),
        ({"foreign_key": True}, jwt.InvalidSignatureError),
        ({"alg": "none"}, jwt.InvalidAlgorithmError),
        ({"alg": "HS256"}, jwt.InvalidAlgorithmError),
    ],
)
def test_mock_idp_id_token_overrides_break_verification(
    mock_idp: MockIdP, override: dict[str, Any], error: type[Exception]
) -> None:
    """Each id_token override yields a token a correct relying party refuses, and only the next id_token."""
    mock_idp.override_id_token(**override)
    verifier, challenge = pkce_pair()
    tokens = mock_token(mock_idp, mock_code(mock_idp, challenge), verifier).json()
    with pytest.raises(error):
        verify_with_jwks(tokens["id_token"], mock_idp.jwks_uri, audience=MOCK_CLIENT["client_id"], issuer=mock_idp.url)
    verifier, challenge = pkce_pair()
    tokens = mock_token(mock_idp, mock_code(mock_idp, challenge), verifier).json()
    verify_with_jwks(tokens["id_token"], mock_idp.jwks_uri, audience=MOCK_CLIENT["client_id"], issuer=mock_idp.url)


@pytest.mark.interop
def test_mock_idp_wrong_nonce_override(mock_idp: MockIdP) -> None:
    """override_id_token(nonce=...) replaces the echoed nonce; nonce=None drops it."""
    verifier, challenge = pkce_pair()
    mock_idp.override_id_token(nonce="wrong")
    tokens = mock_token(mock_idp, mock_code(mock_idp, challenge, nonce="right"), verifier).json()
    assert jwt.decode(tokens["id_token"], options={"verify_signature": False})["nonce"] == "wrong"
    mock_idp.override_id_token(nonce=None)
    verifier, challenge = pkce_pair()
    tokens = mock_token(mock_idp, mock_code(mock_idp, challenge, nonce="right"), verifier).json()
    assert "nonce" not in jwt.decode(tokens["id_token"], options={"verify_signature": False})


# ---- strict_idp (panva oidc-provider) -------------------------------------------------------------------------------


def strict_code(idp: StrictIdP, challenge: str | None, state: str = "state-1") -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": idp.client_id,
        "redirect_uri": DEFAULT_STRICT_REDIRECT_URIS[0],
        "scope": "openid email profile",
        "state": state,
        "nonce": "strict-nonce",
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    url = str(httpx.URL(idp.authorization_endpoint, params=params))
    redirect = idp.login(url, account_id="alice")
    assert str(redirect).startswith(DEFAULT_STRICT_REDIRECT_URIS[0]), redirect
    return query_params(redirect)


def strict_token(idp: StrictIdP, code: str, verifier: str | None) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": DEFAULT_STRICT_REDIRECT_URIS[0],
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
    }
    if verifier is not None:
        form["code_verifier"] = verifier
    return httpx.post(idp.token_endpoint, data=form, timeout=5.0)


@pytest.mark.interop
def test_strict_idp_code_flow_and_refresh(strict_idp: StrictIdP) -> None:
    """Login + consent through devInteractions, then tokens, userinfo and a refresh grant."""
    assert strict_idp.discovery()["issuer"] == strict_idp.url
    verifier, challenge = pkce_pair()
    query = strict_code(strict_idp, challenge)
    assert (query["state"], query["iss"]) == ("state-1", strict_idp.url)
    response = strict_token(strict_idp, query["code"], verifier)
    assert response.status_code == 200, response.text
    tokens = response.json()
    claims = verify_with_jwks(tokens["id_token"], strict_idp.jwks_uri, audience="strict-client", issuer=strict_idp.url)
    assert (claims["sub"], claims["nonce"]) == ("alice", "strict-nonce")
    userinfo = httpx.get(strict_idp.userinfo_endpoint, headers={"authorization": f"Bearer {tokens['access_token']}"})
    expected = {"sub": "alice", "email": "alice@example.com", "email_verified": True, "name": "Strict alice"}
    assert userinfo.json() == expected
    refreshed = httpx.post(
        strict_idp.token_endpoint,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": strict_idp.client_id,
            "client_secret": strict_idp.client_secret,
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["access_token"] != tokens["access_token"]


@pytest.mark.interop
def test_strict_idp_refuses_wrong_or_missing_verifier(strict_idp: StrictIdP) -> None:
    """A wrong and an absent code_verifier are both 400 invalid_grant (oauth2-mock-server accepts an absent one)."""
    _, challenge = pkce_pair()
    wrong = strict_token(strict_idp, strict_code(strict_idp, challenge)["code"], pkce_pair()[0])
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    missing = strict_token(strict_idp, strict_code(strict_idp, challenge)["code"], None)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_grant")


@pytest.mark.interop
def test_strict_idp_refuses_replayed_code(strict_idp: StrictIdP) -> None:
    """A code works once; the second exchange is 400 invalid_grant."""
    verifier, challenge = pkce_pair()
    code = strict_code(strict_idp, challenge)["code"]
    assert strict_token(strict_idp, code, verifier).status_code == 200
    replay = strict_token(strict_idp, code, verifier)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")


@pytest.mark.interop
def test_strict_idp_requires_pkce_and_registered_redirect(strict_idp: StrictIdP) -> None:
    """No code_challenge: error redirect; an unregistered redirect_uri: no redirect at all until it is allowed."""
    query = strict_code(strict_idp, None)
    assert query["error"] == "invalid_request"
    other = "http://127.0.0.1:9/elsewhere"
    params = {"response_type": "code", "client_id": strict_idp.client_id, "redirect_uri": other, "scope": "openid"}
    assert httpx.get(strict_idp.authorization_endpoint, params=params).status_code == 400
    strict_idp.set_redirect_uris([other])
    _, challenge = pkce_pair()
    params |= {"code_challenge": challenge, "code_challenge_method": "S256", "state": "x"}
    redirect = strict_idp.login(str(httpx.URL(strict_idp.authorization_endpoint, params=params)))
    assert str(redirect).startswith(other) and "code" in query_params(redirect)


# ---- stand-ins (Python) -------------------------------------------------------------------------------------------


def test_google_standin_code_flow_id_token_verifies(standins: StandIns) -> None:
    """Google: PKCE-checked code exchange, an RS256 id_token verifiable against /oauth2/v3/certs, refresh grant."""
    client_id, client_secret = standins.credentials("google")
    verifier, challenge = pkce_pair()
    common = {"client_id": client_id, "redirect_uri": REDIRECT_URI}
    query = authorize(
        standins.google_authorization_endpoint,
        **common,
        response_type="code",
        scope="email profile openid",
        state="g-state",
        nonce="g-nonce",
        access_type="offline",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert query["state"] == "g-state"
    token_form = {**common, "grant_type": "authorization_code", "code": query["code"], "client_secret": client_secret}
    wrong = httpx.post(standins.google_token_endpoint, data={**token_form, "code_verifier": pkce_pair()[0]})
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")

    query = authorize(
        standins.google_authorization_endpoint,
        **common,
        response_type="code",
        nonce="g-nonce",
        access_type="offline",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    token_form["code"] = query["code"]
    response = httpx.post(standins.google_token_endpoint, data={**token_form, "code_verifier": verifier})
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert (tokens["expires_in"], tokens["scope"], tokens["token_type"]) == (3599, GOOGLE_SCOPE, "Bearer")
    claims = verify_with_jwks(tokens["id_token"], standins.google_jwks_uri, audience=client_id, issuer=GOOGLE_ISSUER)
    assert (claims["email"], claims["email_verified"], claims["nonce"]) == ("google-user@example.com", True, "g-nonce")

    refreshed = httpx.post(
        standins.google_token_endpoint,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client_id,
            "client_secret": client_secret,
        },
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != tokens["access_token"]
    assert "refresh_token" not in refreshed.json()


def test_google_standin_deny(standins: StandIns) -> None:
    """deny: the redirect carries error=access_denied and the state, once."""
    standins.fail("google", "authorize", "deny")
    params = {"client_id": standins.credentials("google")[0], "redirect_uri": REDIRECT_URI, "response_type": "code"}
    denied = authorize(standins.google_authorization_endpoint, **params, state="d")
    assert (denied["error"], denied["state"]) == ("access_denied", "d")
    assert "code" in authorize(standins.google_authorization_endpoint, **params, state="d")


def test_github_standin_private_email_and_user_agent(standins: StandIns) -> None:
    """GitHub: a user with ``email: null`` whose primary verified address is only in /user/emails; bad codes are
    200 ``bad_verification_code``; the API records the User-Agent and refuses a missing token."""
    standins.update_github_user(email=None)
    standins.set_github_emails(
        [
            {"email": "old@example.com", "primary": False, "verified": True, "visibility": None},
            {"email": "private@example.com", "primary": True, "verified": True, "visibility": "private"},
        ]
    )
    client_id, client_secret = standins.credentials("github")
    verifier, challenge = pkce_pair()
    query = authorize(
        standins.github_authorization_endpoint,
        client_id=client_id,
        redirect_uri=REDIRECT_URI,
        scope="read:user user:email",
        state="gh",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    form = {"client_id": client_id, "client_secret": client_secret, "redirect_uri": REDIRECT_URI}
    accept = {"accept": "application/json"}
    bad = httpx.post(standins.github_token_endpoint, data={**form, "code": "nope"}, headers=accept)
    assert (bad.status_code, bad.json()["error"]) == (200, "bad_verification_code")
    tokens = httpx.post(
        standins.github_token_endpoint,
        data={**form, "code": query["code"], "code_verifier": verifier},
        headers=accept,
    ).json()
    assert tokens["access_token"].startswith("gho_")
    assert (tokens["token_type"], tokens["scope"]) == ("bearer", "read:user,user:email")

    api = {"authorization": f"Bearer {tokens['access_token']}", "user-agent": "better-auth"}
    assert httpx.get(f"{standins.github_api_url}/user", headers=api).json()["email"] is None
    emails = httpx.get(f"{standins.github_api_url}/user/emails", headers=api).json()
    assert next(e["email"] for e in emails if e["primary"] and e["verified"]) == "private@example.com"
    assert httpx.get(f"{standins.github_api_url}/user", headers={"user-agent": "x"}).status_code == 401
    assert [r["headers"]["user-agent"] for r in standins.requests("github", "user")] == ["better-auth", "x"]


def test_github_standin_hang_and_status(standins: StandIns) -> None:
    """Injected failures: a hanging /user and a 502 token endpoint, each for one request."""
    standins.fail("github", "user", "hang")
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{standins.github_api_url}/user", timeout=0.3)
    assert httpx.get(f"{standins.github_api_url}/user").status_code == 401
    standins.fail("github", "token", "status", status=502)
    assert httpx.post(standins.github_token_endpoint, data={"code": "x"}).status_code == 502

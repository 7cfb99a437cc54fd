"""Google and GitHub as Better Auth configures them, against local stand-ins of their endpoints (HTTP level)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from fastapi_betterauth import github, google
from tests.conftest import BASE_URL, ORIGIN

from .flow import AUTH, location, query, sign_in, start
from .standins import GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, StandIns

pytestmark = pytest.mark.anyio


def google_provider(standins: StandIns, **options: Any) -> Any:
    return google(
        GOOGLE_CLIENT_ID,
        GOOGLE_CLIENT_SECRET,
        authorization_endpoint=standins.google_authorization_endpoint,
        token_endpoint=standins.google_token_endpoint,
        jwks_uri=standins.google_jwks_uri,
        **options,
    )


def github_provider(standins: StandIns, **options: Any) -> Any:
    return github(
        GITHUB_CLIENT_ID,
        GITHUB_CLIENT_SECRET,
        authorization_endpoint=standins.github_authorization_endpoint,
        token_endpoint=standins.github_token_endpoint,
        api_base=standins.github_api_url,
        **options,
    )


@pytest.fixture
def make_social(make_client: Callable[..., Any], standins: StandIns) -> Callable[..., Any]:
    """``await make_social(google_options=..., github_options=..., **settings)`` -> (client, auth)."""

    async def make(
        google_options: dict[str, Any] | None = None, github_options: dict[str, Any] | None = None, **settings: Any
    ) -> Any:
        providers = [
            google_provider(standins, **(google_options or {})),
            github_provider(standins, **(github_options or {})),
        ]
        return await make_client(auth_options={"social_providers": providers}, **settings)

    return make


# -- GitHub ----------------------------------------------------------------------------------------


async def test_github_sign_up_with_a_private_email(make_social: Callable[..., Any], standins: StandIns) -> None:
    client, auth = await make_social()
    standins.update_github_user(email=None, id=4242, name=None, login="octocat")
    standins.set_github_emails(
        [
            {"email": "other@example.com", "primary": False, "verified": False, "visibility": None},
            {"email": "Octo@Example.com", "primary": True, "verified": True, "visibility": "private"},
        ]
    )
    started = await start(client, "github", callbackURL="/dash")
    params = query(started.json()["url"])
    assert started.json()["url"].startswith(standins.github_authorization_endpoint + "?response_type=code&client_id=")
    assert params["scope"] == "read:user user:email" and params["code_challenge_method"] == "S256"
    assert "nonce" not in params
    done = await sign_in(client, "github", callbackURL="/dash")
    assert location(done) == "/dash"
    user = (await client.get(f"{AUTH}/get-session")).json()["user"]
    assert user["email"] == "octo@example.com" and user["emailVerified"] is True and user["name"] == "octocat"
    [account] = await auth.store.find_accounts(user["id"])
    assert account["accountId"] == "4242" and account["scope"] == "read:user,user:email"
    assert account["refreshToken"] is None and account["idToken"] is None
    api_calls = standins.requests("github", "user") + standins.requests("github", "emails")
    assert api_calls and all(r["headers"]["user-agent"] == "better-auth" for r in api_calls)
    assert all(r["headers"]["authorization"].startswith("Bearer ") for r in api_calls)
    token_call = standins.requests("github", "token")[-1]
    assert token_call["headers"]["accept"] == "application/json"


async def test_github_unverified_email_is_stored_unverified(
    make_social: Callable[..., Any], standins: StandIns
) -> None:
    client, _ = await make_social()
    standins.update_github_user(email="plain@example.com")
    standins.set_github_emails(
        [{"email": "plain@example.com", "primary": True, "verified": False, "visibility": "public"}]
    )
    assert location(await sign_in(client, "github", callbackURL="/dash")) == "/dash"
    assert (await client.get(f"{AUTH}/get-session")).json()["user"]["emailVerified"] is False


async def test_github_failures(make_social: Callable[..., Any], standins: StandIns) -> None:
    client, auth = await make_social(account={"provider_timeout": 1.0})
    standins.fail("github", "token", "error_json")  # GitHub answers 200 {"error": ...} for a bad code
    assert location(await sign_in(client, "github", errorCallbackURL="/oops")) == "/oops?error=invalid_code"
    standins.fail("github", "user", "status", status=502)
    failed = query(location(await sign_in(client, "github", errorCallbackURL="/oops")))
    assert failed["error"] == "unable_to_get_user_info" and "email and password" in failed["error_description"]
    standins.fail("github", "user", "hang")
    began = time.monotonic()
    hung = query(location(await sign_in(client, "github", errorCallbackURL="/oops")))
    assert hung["error"] == "unable_to_get_user_info" and time.monotonic() - began < 5
    standins.fail("github", "authorize", "deny")
    denied = query(location(await sign_in(client, "github", errorCallbackURL="/oops")))
    assert denied["error"] == "access_denied"
    assert await auth.store.find_user_by_email("github-user@example.com") is None


async def test_github_has_no_id_token_sign_in(make_social: Callable[..., Any]) -> None:
    client, _ = await make_social()
    answer = await start(client, "github", idToken={"token": "a.b.c"})
    assert answer.status_code == 404
    assert answer.json() == {"message": "id_token not supported", "code": "ID_TOKEN_NOT_SUPPORTED"}


# -- Google ----------------------------------------------------------------------------------------


async def test_google_sign_in_and_offline_refresh(make_social: Callable[..., Any], standins: StandIns) -> None:
    client, auth = await make_social(google_options={"access_type": "offline", "prompt": "consent"})
    started = await start(client, "google", callbackURL="/dash")
    params = query(started.json()["url"])
    assert params["scope"] == "email profile openid" and params["include_granted_scopes"] == "true"
    assert params["access_type"] == "offline" and params["prompt"] == "consent"
    assert location(await sign_in(client, "google", callbackURL="/dash", newUserCallbackURL="/new")) == "/new"
    user = (await client.get(f"{AUTH}/get-session")).json()["user"]
    assert user["email"] == "google-user@example.com" and user["emailVerified"] is True
    [account] = await auth.store.find_accounts(user["id"])
    assert account["accountId"] == "104857600000000000001"
    assert (
        account["scope"]
        == "https://www.googleapis.com/auth/userinfo.email,openid,https://www.googleapis.com/auth/userinfo.profile"
    )
    assert account["refreshToken"] and account["idToken"]
    refreshed = await client.post(f"{AUTH}/refresh-token", json={"accountId": account["id"]}, headers=ORIGIN)
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert body["accessToken"] != account["accessToken"] and body["refreshToken"]
    assert body["scope"] == account["scope"] and body["providerId"] == "google"
    info = await client.get(f"{AUTH}/account-info", params={"accountId": account["id"]})
    assert info.status_code == 200
    assert (
        info.json()["user"]["email"] == "google-user@example.com" and info.json()["data"]["sub"] == account["accountId"]
    )


async def test_google_refresh_without_a_refresh_token(make_social: Callable[..., Any]) -> None:
    client, auth = await make_social()
    await sign_in(client, "google", callbackURL="/dash")
    user = (await client.get(f"{AUTH}/get-session")).json()["user"]
    [account] = await auth.store.find_accounts(user["id"])
    answer = await client.post(f"{AUTH}/refresh-token", json={"accountId": account["id"]}, headers=ORIGIN)
    assert answer.status_code == 400
    assert answer.json() == {"message": "Refresh token not found", "code": "REFRESH_TOKEN_NOT_FOUND"}


async def test_google_hosted_domain(make_social: Callable[..., Any], standins: StandIns) -> None:
    client, _auth = await make_social(google_options={"hd": "corp.example"})
    standins.update_google_profile(hd="other.example")
    refused = await sign_in(client, "google", errorCallbackURL="/oops")
    assert location(refused) == "/oops?error=unable_to_get_user_info"
    standins.update_google_profile(hd="corp.example")
    assert location(await sign_in(client, "google", callbackURL="/dash")) == "/dash"


async def test_google_one_tap_id_token(make_social: Callable[..., Any], standins: StandIns) -> None:
    client, auth = await make_social()
    token = standins.google_id_token(nonce="n-1")
    ok = await start(client, "google", idToken={"token": token, "nonce": "n-1", "accessToken": "ya29.tap"})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["redirect"] is False and "url" not in body and body["token"]
    assert body["user"]["email"] == "google-user@example.com"
    assert any(c.startswith("better-auth.session_token=") for c in ok.headers.get_list("set-cookie"))
    [account] = await auth.store.find_accounts(body["user"]["id"])
    assert account["idToken"] == token and account["accessToken"] == "ya29.tap"


@pytest.mark.parametrize(
    ("token_options", "nonce"),
    [
        ({"nonce": "n-1"}, "n-2"),
        ({"aud": "someone-elses-client"}, None),
        ({"iss": "https://accounts.evil.example"}, None),
        ({"iat": 0, "exp": 4102444800}, None),  # issued long ago: older than Google's one hour
        ({"exp": 1}, None),
    ],
    ids=["nonce", "audience", "issuer", "too-old", "expired"],
)
async def test_google_one_tap_refuses_bad_tokens(
    make_social: Callable[..., Any], standins: StandIns, token_options: dict[str, Any], nonce: str | None
) -> None:
    client, auth = await make_social()
    token = standins.google_id_token(**token_options)
    answer = await start(client, "google", idToken={"token": token, **({"nonce": nonce} if nonce else {})})
    assert answer.status_code == 401 and answer.json() == {"message": "Invalid token", "code": "INVALID_TOKEN"}
    assert await auth.store.find_user_by_email("google-user@example.com") is None


async def test_google_one_tap_refuses_a_forged_signature(make_social: Callable[..., Any], standins: StandIns) -> None:
    client, _ = await make_social()
    header, payload, signature = standins.google_id_token().split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    answer = await start(client, "google", idToken={"token": forged})
    assert answer.status_code == 401 and answer.json()["code"] == "INVALID_TOKEN"


async def test_google_one_tap_links_like_the_redirect_flow(make_social: Callable[..., Any], standins: StandIns) -> None:
    client, _auth = await make_social()
    signed_up = await client.post(
        f"{AUTH}/sign-up/email", json={"email": "google-user@example.com", "password": "password123", "name": "G"}
    )
    assert signed_up.status_code == 200
    client.cookies.clear()
    refused = await start(client, "google", idToken={"token": standins.google_id_token()})
    assert refused.status_code == 401
    assert refused.json() == {"message": "account not linked", "code": "OAUTH_LINK_ERROR"}


async def test_google_callback_redirect_uri_matches_what_is_registered(
    make_social: Callable[..., Any], standins: StandIns
) -> None:
    client, _ = await make_social()
    await sign_in(client, "google", callbackURL="/dash")
    token_call = standins.requests("google", "token")[-1]
    assert token_call["body"]["redirect_uri"] == f"{BASE_URL}{AUTH}/callback/google"
    assert token_call["body"]["grant_type"] == "authorization_code" and token_call["body"]["code_verifier"]

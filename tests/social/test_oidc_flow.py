"""Sign-in with a generic OpenID Connect provider, end to end, on every storage backend.

The provider is a real OIDC server on loopback (``mock_idp``: discovery, PKCE S256, nonce-bound RS256 id
tokens); the browser's hops are made by hand (tests/social/flow.py) so each status, cookie and redirect is seen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fastapi_betterauth import BetterAuth, generic_oauth, oidc
from fastapi_betterauth.crypto.symmetric import symmetric_decrypt
from fastapi_betterauth.social.authorize import code_challenge
from tests.conftest import BASE_URL, ORIGIN, SECRET

from .conftest import MockIdP
from .flow import AUTH, at_provider, callback, location, query, sign_in, start

pytestmark = [pytest.mark.anyio, pytest.mark.interop]

CLIENT_ID = "local-client"
CLIENT_SECRET = "local-client-secret"


def local_provider(idp: MockIdP, **options: Any) -> Any:
    return oidc(
        "local",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        discovery_url=idp.discovery_url,
        scopes=["email", "profile"],
        **options,
    )


@pytest.fixture
def make_oidc(make_client: Callable[..., Any], mock_idp: MockIdP) -> Callable[..., Any]:
    """``await make_oidc(provider_options=..., **settings)`` -> (client, auth) with the ``local`` provider."""

    async def make(
        provider_options: dict[str, Any] | None = None, plugins: tuple[Any, ...] = (), **settings: Any
    ) -> Any:
        provider = local_provider(mock_idp, **(provider_options or {}))
        return await make_client(plugins=(*plugins, generic_oauth([provider])), **settings)

    return make


async def accounts(auth: BetterAuth, user_id: str) -> list[dict[str, Any]]:
    return await auth.store.find_accounts(user_id)


async def test_new_user_signs_up_and_lands_on_new_user_url(make_oidc: Callable[..., Any], mock_idp: MockIdP) -> None:
    client, auth = await make_oidc()
    mock_idp.update_profile(sub="sub-42", email="New.User@Example.com", name="New User", picture="https://img/x.png")
    started = await start(client, "local", callbackURL="/dash", newUserCallbackURL="/welcome", errorCallbackURL="/oops")
    assert started.status_code == 200
    body = started.json()
    assert body["redirect"] is True and started.headers["location"] == body["url"]
    params = query(body["url"])
    assert list(params)[:5] == ["response_type", "client_id", "state", "scope", "redirect_uri"]
    assert params["scope"] == "openid email profile"
    assert params["redirect_uri"] == f"{BASE_URL}{AUTH}/callback/local"
    assert params["code_challenge_method"] == "S256" and params["nonce"]
    state_cookie = next(c for c in started.headers.get_list("set-cookie") if c.startswith("better-auth.state="))
    assert "Max-Age=300" in state_cookie and "HttpOnly" in state_cookie and "SameSite=Lax" in state_cookie
    row = await auth.store.find_verification(f"auth-state:{params['state']}")
    assert row is not None
    stored = json.loads(row["value"])
    assert stored["callbackURL"] == "/dash" and stored["newUserURL"] == "/welcome" and stored["errorURL"] == "/oops"
    assert stored["oauthState"] == params["state"] and stored["idTokenNonce"] == params["nonce"]
    assert code_challenge(stored["codeVerifier"]) == params["code_challenge"]

    finished = await callback(client, await at_provider(body["url"]))
    assert location(finished) == "/welcome"
    cookies = finished.headers.get_list("set-cookie")
    assert any(c.startswith("better-auth.state=; Max-Age=0") for c in cookies)
    assert any(c.startswith("better-auth.session_token=") for c in cookies)
    assert await auth.store.find_verification(f"auth-state:{params['state']}") is None  # single use
    token_request = mock_idp.requests("token")[-1]["body"]
    assert token_request["code_verifier"] == stored["codeVerifier"]
    assert token_request["redirect_uri"] == params["redirect_uri"]
    assert token_request["client_id"] == CLIENT_ID and token_request["client_secret"] == CLIENT_SECRET

    session = (await client.get(f"{AUTH}/get-session")).json()
    user = session["user"]
    assert user["email"] == "new.user@example.com" and user["emailVerified"] is True
    assert user["name"] == "New User" and user["image"] == "https://img/x.png"
    [account] = await accounts(auth, user["id"])
    assert account["providerId"] == "local" and account["accountId"] == "sub-42"
    assert account["scope"] == "openid,email,profile"
    assert account["accessToken"] and account["idToken"] and account["accessTokenExpiresAt"] is not None


async def test_returning_user_lands_on_callback_url_and_tokens_are_refreshed(
    make_oidc: Callable[..., Any], mock_idp: MockIdP
) -> None:
    client, auth = await make_oidc()
    first = await sign_in(client, "local", callbackURL="/dash", newUserCallbackURL="/welcome")
    assert location(first) == "/welcome"
    user_id = (await client.get(f"{AUTH}/get-session")).json()["user"]["id"]
    [before] = await accounts(auth, user_id)
    other = httpx.AsyncClient(transport=client._transport, base_url=BASE_URL)  # a second browser
    async with other:
        again = await sign_in(other, "local", callbackURL="/dash", newUserCallbackURL="/welcome", scopes=["extra"])
        assert location(again) == "/dash"
        assert (await other.get(f"{AUTH}/get-session")).json()["user"]["id"] == user_id
    [after] = await accounts(auth, user_id)
    assert after["id"] == before["id"] and after["accessToken"] != before["accessToken"]
    assert after["scope"] == before["scope"]  # sign-in never rewrites the scope (only link-social merges)


async def test_disable_redirect_answers_without_location(make_oidc: Callable[..., Any]) -> None:
    client, _ = await make_oidc()
    started = await start(client, "local", disableRedirect=True)
    assert started.status_code == 200 and started.json()["redirect"] is False
    assert "location" not in started.headers


async def test_unknown_provider_and_bad_bodies(make_oidc: Callable[..., Any]) -> None:
    client, _ = await make_oidc()
    unknown = await start(client, "nope")
    assert unknown.status_code == 404 and unknown.json() == {
        "message": "Provider not found",
        "code": "PROVIDER_NOT_FOUND",
    }
    reserved = await start(client, "local", additionalParams={"state": "mine"})
    assert reserved.status_code == 400 and reserved.json()["code"] == "VALIDATION_ERROR"
    assert "reserved OAuth parameters" in reserved.json()["message"]
    evil = await start(client, "local", callbackURL="https://evil.example/steal")
    assert evil.status_code == 403 and evil.json()["code"] == "INVALID_CALLBACK_URL"
    evil_error = await start(client, "local", errorCallbackURL="https://evil.com\\@localhost:3000/")
    assert evil_error.status_code == 403 and evil_error.json()["code"] == "INVALID_ERROR_CALLBACK_URL"


async def test_additional_data_cannot_forge_the_flow(make_oidc: Callable[..., Any], mock_idp: MockIdP) -> None:
    # additionalData is the client's: it rides along, but never replaces the flow's own keys (a forged
    # "link" would attach the provider account to someone else's user).
    client, auth = await make_oidc()
    forged = {
        "link": {"userId": "victim", "email": "victim@example.com"},
        "callbackURL": "https://evil.example",
        "x": 1,
    }
    started = await start(client, "local", callbackURL="/dash", additionalData=forged)
    state = query(started.json()["url"])["state"]
    row = await auth.store.find_verification(f"auth-state:{state}")
    assert row is not None
    stored = json.loads(row["value"])
    assert "link" not in stored and stored["callbackURL"] == "/dash" and stored["x"] == 1
    finished = await callback(client, await at_provider(started.json()["url"]))
    assert location(finished) == "/dash"


# -- state checks, in Better Auth's order ---------------------------------------------------------


async def test_state_checks(make_oidc: Callable[..., Any]) -> None:
    client, _auth = await make_oidc()
    no_state = await client.get(f"{AUTH}/callback/local?code=abc")
    assert location(no_state) == f"{BASE_URL}{AUTH}/error?error=state_not_found"
    unknown = await client.get(f"{AUTH}/callback/local?code=abc&state=unknown")
    assert location(unknown) == f"{BASE_URL}{AUTH}/error?error=state_mismatch"
    repeated = await client.get(f"{AUTH}/callback/local?code=abc&state=a&state=b")
    assert location(repeated) == f"{BASE_URL}{AUTH}/error?error=invalid_callback_request"


async def test_a_browser_without_the_state_cookie_cannot_finish_the_flow(make_oidc: Callable[..., Any]) -> None:
    # Login CSRF: an attacker starts a flow, then makes the victim's browser open the callback. The
    # victim's browser lacks the attacker's state cookie: refused, and the row stays for its owner.
    attacker, _auth = await make_oidc()
    started = await start(attacker, "local", callbackURL="/dash", errorCallbackURL="/oops")
    back = await at_provider(started.json()["url"])
    victim = httpx.AsyncClient(transport=attacker._transport, base_url=BASE_URL)
    async with victim:
        refused = await callback(victim, back)
        assert location(refused) == "/oops?error=state_mismatch"
        assert "better-auth.session_token" not in refused.headers.get("set-cookie", "")
    assert location(await callback(attacker, back)) == "/dash"


async def test_a_callback_works_once(make_oidc: Callable[..., Any]) -> None:
    client, _ = await make_oidc()
    started = await start(client, "local", callbackURL="/dash", errorCallbackURL="/oops")
    back = await at_provider(started.json()["url"])
    assert location(await callback(client, back)) == "/dash"
    # The state cookie was expired by the first callback; replay with it restored is refused too.
    state = query(back)["state"]
    signed = next(c for c in started.headers.get_list("set-cookie") if c.startswith("better-auth.state="))
    client.cookies.set("better-auth.state", signed.split(";")[0].split("=", 1)[1])
    replay = await client.get(httpx.URL(str(back)).raw_path.decode())
    assert location(replay) == f"{BASE_URL}{AUTH}/error?error=state_mismatch", state


async def test_an_expired_flow_goes_to_the_flows_error_url(
    make_oidc: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = await make_oidc()
    started = await start(client, "local", callbackURL="/dash", errorCallbackURL="/oops")
    back = await at_provider(started.json()["url"])
    real = time.time
    monkeypatch.setattr("fastapi_betterauth.social.state.time.time", lambda: real() + 601)
    assert location(await callback(client, back)) == "/oops?error=state_mismatch"


async def test_provider_errors_come_back_after_the_state_checks(
    make_oidc: Callable[..., Any], mock_idp: MockIdP
) -> None:
    client, _ = await make_oidc()
    mock_idp.fail("authorize", "deny")
    denied = await sign_in(client, "local", callbackURL="/dash", errorCallbackURL="/oops?from=login#top")
    target = location(denied)
    assert target.startswith("/oops?from=login&error=access_denied&error_description=") and target.endswith("#top")
    assert "better-auth.session_token=" not in denied.headers.get("set-cookie", "")
    # A provider error with a state that is not this browser's says state_mismatch, not access_denied.
    forged = await client.get(f"{AUTH}/callback/local?error=access_denied&state=forged")
    assert location(forged) == f"{BASE_URL}{AUTH}/error?error=state_mismatch"


async def test_no_code_and_issuer_mismatch(make_oidc: Callable[..., Any], mock_idp: MockIdP) -> None:
    client, _ = await make_oidc()
    started = await start(client, "local", errorCallbackURL="/oops")
    back = query(await at_provider(started.json()["url"]))
    no_code = await client.get(f"{AUTH}/callback/local?state={back['state']}")
    assert location(no_code) == "/oops?error=no_code"
    mock_idp.override_authorize(iss="https://evil.example")
    mixed_up = await sign_in(client, "local", errorCallbackURL="/oops")
    assert location(mixed_up) == "/oops?error=issuer_mismatch"


@pytest.mark.parametrize(
    "override",
    [
        {"nonce": "not-the-flows-nonce"},
        {"nonce": None},
        {"aud": "another-client"},
        {"iss": "https://evil.example"},
        {"exp_offset": -3600, "iat_offset": -7200},
        {"alg": "none"},
        {"alg": "HS256"},
        {"foreign_key": True},
    ],
    ids=["wrong-nonce", "no-nonce", "wrong-audience", "wrong-issuer", "expired", "alg-none", "hs256", "foreign-key"],
)
async def test_a_bad_id_token_never_signs_anyone_in(
    make_oidc: Callable[..., Any], mock_idp: MockIdP, override: dict[str, Any]
) -> None:
    client, auth = await make_oidc()
    mock_idp.override_id_token(**override)
    refused = await sign_in(client, "local", callbackURL="/dash", errorCallbackURL="/oops")
    assert location(refused) == "/oops?error=unable_to_get_user_info"
    assert await auth.store.find_user_by_email("oidc-user@example.com") is None


# -- provider failures ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["status", "hang"])
async def test_token_endpoint_down_is_a_clear_bounded_error(
    make_oidc: Callable[..., Any], mock_idp: MockIdP, mode: str
) -> None:
    client, _ = await make_oidc(account={"provider_timeout": 1.0})
    started = await start(client, "local", errorCallbackURL="/oops")
    back = await at_provider(started.json()["url"])
    mock_idp.fail("token", mode, status=503)
    began = time.monotonic()
    failed = await callback(client, back)
    assert time.monotonic() - began < 5
    params = query(location(failed))
    assert params["error"] == "invalid_code"
    assert "email and password" in params["error_description"]


async def test_a_refused_code_is_invalid_code_without_blaming_the_provider(
    make_oidc: Callable[..., Any], mock_idp: MockIdP
) -> None:
    client, _ = await make_oidc()
    mock_idp.fail("token", "error_json", error="invalid_grant")
    failed = await sign_in(client, "local", errorCallbackURL="/oops")
    assert location(failed) == "/oops?error=invalid_code"


async def test_discovery_down_then_back(
    make_oidc: Callable[..., Any], mock_idp: MockIdP, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("fastapi_betterauth.social.oauth_client.DISCOVERY_RETRY_INTERVAL", 0.0)
    client, _ = await make_oidc()
    mock_idp.fail("discovery", "status", status=503)
    down = await start(client, "local")
    assert down.status_code == 503 and down.json()["code"] == "PROVIDER_UNAVAILABLE"
    assert "email and password" in down.json()["message"]
    # Email and password keep working while the provider is down; the provider is used again once back.
    signed_up = await client.post(
        f"{AUTH}/sign-up/email", json={"email": "pw@example.com", "password": "password123", "name": "Pw"}
    )
    assert signed_up.status_code == 200
    assert location(await sign_in(client, "local", callbackURL="/dash")) == "/dash"


async def test_email_password_is_unaffected_by_a_hanging_provider(
    make_oidc: Callable[..., Any], mock_idp: MockIdP
) -> None:
    client, _ = await make_oidc(account={"provider_timeout": 1.0})
    mock_idp.fail("discovery", "hang")
    began = time.monotonic()
    down = await start(client, "local")
    assert down.status_code == 503 and time.monotonic() - began < 5
    ok = await client.post(
        f"{AUTH}/sign-up/email", json={"email": "a@example.com", "password": "password123", "name": "A"}
    )
    assert ok.status_code == 200


# -- who gets signed in: the linking rules ---------------------------------------------------------


async def sign_up_email(client: httpx.AsyncClient, email: str) -> str:
    answer = await client.post(
        f"{AUTH}/sign-up/email", json={"email": email, "password": "password123", "name": "Local"}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["user"]["id"])


async def test_pre_registration_takeover_is_refused(make_oidc: Callable[..., Any], mock_idp: MockIdP) -> None:
    # An attacker registers the victim's address first (never verified); the victim then signs in with
    # the provider. Linking would hand the victim's provider identity to the attacker's password.
    client, auth = await make_oidc()
    attacker_id = await sign_up_email(client, "victim@example.com")
    client.cookies.clear()
    mock_idp.update_profile(sub="victim-sub", email="victim@example.com", email_verified=True)
    refused = await sign_in(client, "local", callbackURL="/dash", errorCallbackURL="/oops")
    assert location(refused) == "/oops?error=account_not_linked"
    assert [a["providerId"] for a in await accounts(auth, attacker_id)] == ["credential"]


async def test_implicit_link_for_a_verified_local_user(make_oidc: Callable[..., Any], mock_idp: MockIdP) -> None:
    client, auth = await make_oidc()
    user_id = await sign_up_email(client, "both@example.com")
    await auth.store.update_user(user_id, {"emailVerified": True})
    client.cookies.clear()
    mock_idp.update_profile(sub="both-sub", email="both@example.com")
    linked = await sign_in(client, "local", callbackURL="/dash", newUserCallbackURL="/welcome")
    assert location(linked) == "/dash"  # an existing user is not "new"
    assert (await client.get(f"{AUTH}/get-session")).json()["user"]["id"] == user_id
    assert sorted(a["providerId"] for a in await accounts(auth, user_id)) == ["credential", "local"]
    # Either method now works.
    client.cookies.clear()
    by_password = await client.post(
        f"{AUTH}/sign-in/email", json={"email": "both@example.com", "password": "password123"}
    )
    assert by_password.status_code == 200


async def test_an_unverified_provider_email_does_not_link_unless_trusted(
    make_oidc: Callable[..., Any], mock_idp: MockIdP
) -> None:
    for n, (trusted, expected) in enumerate((((), "/oops?error=account_not_linked"), (("local",), "/dash"))):
        client, auth = await make_oidc(account={"account_linking": {"trusted_providers": trusted}})
        user_id = await sign_up_email(client, f"u{n}@example.com")
        await auth.store.update_user(user_id, {"emailVerified": True})
        client.cookies.clear()
        mock_idp.update_profile(sub=f"u{n}-sub", email=f"u{n}@example.com", email_verified=False)
        answer = await sign_in(client, "local", callbackURL="/dash", errorCallbackURL="/oops")
        assert location(answer) == expected


@pytest.mark.parametrize("linking", [{"disable_implicit_linking": True}, {"enabled": False}])
async def test_implicit_linking_can_be_turned_off(
    make_oidc: Callable[..., Any], mock_idp: MockIdP, linking: dict[str, bool]
) -> None:
    client, auth = await make_oidc(account={"account_linking": linking})
    user_id = await sign_up_email(client, "off@example.com")
    await auth.store.update_user(user_id, {"emailVerified": True})
    client.cookies.clear()
    mock_idp.update_profile(sub="off-sub", email="off@example.com")
    answer = await sign_in(client, "local", callbackURL="/dash", errorCallbackURL="/oops")
    assert location(answer) == "/oops?error=account_not_linked"


async def test_sign_up_rules_and_missing_email(make_oidc: Callable[..., Any], mock_idp: MockIdP) -> None:
    client, _ = await make_oidc(provider_options={"disable_sign_up": True})
    refused = await sign_in(client, "local", errorCallbackURL="/oops")
    assert location(refused) == "/oops?error=signup_disabled"
    client, _ = await make_oidc(provider_options={"disable_implicit_sign_up": True})
    assert location(await sign_in(client, "local", errorCallbackURL="/oops")) == "/oops?error=signup_disabled"
    assert location(await sign_in(client, "local", callbackURL="/dash", requestSignUp=True)) == "/dash"
    client, _ = await make_oidc()
    mock_idp.set_profile(sub="no-email", name="No Email")
    assert location(await sign_in(client, "local", errorCallbackURL="/oops")) == "/oops?error=email_not_found"


async def test_a_banned_user_is_sent_to_the_error_url(make_oidc: Callable[..., Any], mock_idp: MockIdP) -> None:
    from fastapi_betterauth import admin

    client, auth = await make_oidc(plugins=(admin(),))
    assert location(await sign_in(client, "local", callbackURL="/dash")) == "/dash"
    user = await auth.store.find_user_by_email("oidc-user@example.com")
    assert user is not None
    await auth.store.update_user(user["id"], {"banned": True})
    client.cookies.clear()
    banned = await sign_in(client, "local", callbackURL="/dash", errorCallbackURL="/oops")
    params = query(location(banned))
    assert params["error"] == "BANNED_USER" and params["error_description"].startswith("You have been banned")


async def test_require_email_verification(make_oidc: Callable[..., Any], mock_idp: MockIdP) -> None:
    client, _ = await make_oidc(provider_options={"require_email_verification": True})
    mock_idp.update_profile(email_verified=False)
    refused = await sign_in(client, "local", errorCallbackURL="/oops")
    assert location(refused) == "/oops?error=email_not_verified"


# -- tokens at rest ------------------------------------------------------------------------------


async def test_encrypted_tokens_at_rest_and_get_access_token(make_oidc: Callable[..., Any], mock_idp: MockIdP) -> None:
    client, auth = await make_oidc(account={"encrypt_oauth_tokens": True})
    await sign_in(client, "local", callbackURL="/dash")
    user_id = (await client.get(f"{AUTH}/get-session")).json()["user"]["id"]
    [account] = await accounts(auth, user_id)
    issued = mock_idp.requests("token")[-1]
    assert issued["body"]["grant_type"] == "authorization_code"
    stored = account["accessToken"]
    assert all(c in "0123456789abcdef" for c in stored)
    plain = symmetric_decrypt(stored, (SECRET,))
    assert plain.count(".") == 2  # the provider's access token (a JWT here), in clear only after decryption
    answer = await client.post(f"{AUTH}/get-access-token", json={"accountId": account["id"]}, headers=ORIGIN)
    assert answer.status_code == 200
    assert answer.json()["accessToken"] == plain and answer.json()["scopes"] == ["openid", "email", "profile"]
    refreshed = await client.post(f"{AUTH}/refresh-token", json={"accountId": account["id"]}, headers=ORIGIN)
    assert refreshed.status_code == 200, refreshed.text
    [after] = await accounts(auth, user_id)
    assert symmetric_decrypt(after["accessToken"], (SECRET,)) == refreshed.json()["accessToken"] != plain
    assert refreshed.json()["accountId"] == account["id"] and refreshed.json()["providerId"] == "local"


async def test_get_access_token_refreshes_an_expiring_token(make_oidc: Callable[..., Any], mock_idp: MockIdP) -> None:
    from datetime import timedelta

    from fastapi_betterauth._dates import now

    client, auth = await make_oidc()
    await sign_in(client, "local", callbackURL="/dash")
    user_id = (await client.get(f"{AUTH}/get-session")).json()["user"]["id"]
    [account] = await accounts(auth, user_id)
    await auth.store.update_account(account["id"], {"accessTokenExpiresAt": now() + timedelta(seconds=2)})
    mock_idp.clear_requests()
    answer = await client.post(f"{AUTH}/get-access-token", json={"accountId": account["id"]}, headers=ORIGIN)
    assert answer.status_code == 200
    assert [r["body"]["grant_type"] for r in mock_idp.requests("token")] == ["refresh_token"]
    [after] = await accounts(auth, user_id)
    assert after["accessToken"] == answer.json()["accessToken"] != account["accessToken"]


async def test_account_token_routes_refuse_what_they_should(make_oidc: Callable[..., Any]) -> None:
    client, _auth = await make_oidc()
    anonymous = await client.post(f"{AUTH}/get-access-token", json={"accountId": "x"}, headers=ORIGIN)
    assert anonymous.status_code == 401 and anonymous.content == b""
    await sign_in(client, "local", callbackURL="/dash")
    for body in ({"providerId": "local"}, {"accountId": "x", "extra": 1}, {}):
        bad = await client.post(f"{AUTH}/get-access-token", json=body, headers=ORIGIN)
        assert bad.status_code == 400 and bad.json() == {"message": "[body] Invalid input", "code": "VALIDATION_ERROR"}
    missing = await client.post(f"{AUTH}/refresh-token", json={"accountId": "nope"}, headers=ORIGIN)
    assert missing.status_code == 400 and missing.json()["code"] == "ACCOUNT_NOT_FOUND"
    # Another user's account id is "not found" for this user (never their tokens).
    other = httpx.AsyncClient(transport=client._transport, base_url=BASE_URL)
    async with other:
        await sign_up_email(other, "someone@example.com")
        mine = (await client.get(f"{AUTH}/list-accounts")).json()[0]["id"]
        stolen = await other.post(f"{AUTH}/get-access-token", json={"accountId": mine, "userId": "x"}, headers=ORIGIN)
        assert stolen.status_code == 400 and stolen.json()["code"] == "ACCOUNT_NOT_FOUND"
    info = await client.get(f"{AUTH}/account-info", params={"accountId": mine})
    assert info.status_code == 200
    assert info.json()["account"]["providerId"] == "local" and info.json()["user"]["email"] == "oidc-user@example.com"
    assert info.json()["data"]["sub"] == "user-1"


async def test_two_racing_callbacks_finish_one_flow(make_oidc: Callable[..., Any], mock_idp: MockIdP) -> None:
    # The state is taken atomically: of two simultaneous callbacks with the same state and cookie, one
    # signs in and the other is refused before its code ever reaches the provider.
    import asyncio

    client, _auth = await make_oidc()
    started = await start(client, "local", callbackURL="/dash", errorCallbackURL="/oops")
    back = await at_provider(started.json()["url"])
    mock_idp.clear_requests()
    answers = await asyncio.gather(callback(client, back), callback(client, back))
    targets = sorted(location(a) for a in answers)
    assert targets[0] == "/dash" and targets[1].endswith("error=state_mismatch"), targets
    assert len(mock_idp.requests("token")) == 1


async def test_cookie_state_strategy(make_oidc: Callable[..., Any]) -> None:
    # Better Auth's storeStateStrategy "cookie": the flow lives encrypted in the browser, no row is written.
    client, auth = await make_oidc(account={"store_state_strategy": "cookie"})
    started = await start(client, "local", callbackURL="/dash", errorCallbackURL="/oops")
    sealed = next(c for c in started.headers.get_list("set-cookie") if c.startswith("better-auth.oauth_state="))
    assert "Max-Age=600" in sealed and "HttpOnly" in sealed
    state = query(started.json()["url"])["state"]
    assert await auth.store.find_verification(f"auth-state:{state}") is None
    back = await at_provider(started.json()["url"])
    value = client.cookies.get("better-auth.oauth_state")
    assert value is not None
    done = await callback(client, back)
    assert location(done) == "/dash"
    assert any(c.startswith("better-auth.oauth_state=; Max-Age=0") for c in done.headers.get_list("set-cookie"))
    # Another browser (no cookie), and a tampered cookie.
    stranger = httpx.AsyncClient(transport=client._transport, base_url=BASE_URL)
    async with stranger:
        assert location(await callback(stranger, back)) == f"{BASE_URL}{AUTH}/error?error=state_mismatch"
        stranger.cookies.set("better-auth.oauth_state", value[:-2] + ("00" if value[-2:] != "00" else "11"))
        assert location(await callback(stranger, back)) == f"{BASE_URL}{AUTH}/error?error=state_invalid"

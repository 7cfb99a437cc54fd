"""Explicit linking (``/link-social``) and unlinking: the rules that stop one user taking another's identity."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fastapi_betterauth import AuditTrail, AuthEvent, generic_oauth, oidc
from fastapi_betterauth.crypto.purpose import purpose_decrypt
from tests.conftest import BASE_URL, ORIGIN, SECRET

from .conftest import MockIdP
from .flow import AUTH, at_provider, callback, location, query, sign_in, start

pytestmark = [pytest.mark.anyio, pytest.mark.interop]


@pytest.fixture
def make_linking(make_client: Callable[..., Any], mock_idp: MockIdP) -> Callable[..., Any]:
    """``await make_linking(**settings)`` -> (client, auth, events) with the ``local`` OIDC provider."""

    async def make(**settings: Any) -> Any:
        events: list[AuthEvent] = []
        provider = oidc(
            "local", client_id="c", client_secret="s", discovery_url=mock_idp.discovery_url, scopes=["email"]
        )
        client, auth = await make_client(
            plugins=[generic_oauth([provider])], auth_options={"audit": AuditTrail(callback=events.append)}, **settings
        )
        return client, auth, events

    return make


async def signed_up(client: httpx.AsyncClient, auth: Any, email: str, *, verified: bool = True) -> str:
    answer = await client.post(f"{AUTH}/sign-up/email", json={"email": email, "password": "password123", "name": "L"})
    assert answer.status_code == 200, answer.text
    user_id = str(answer.json()["user"]["id"])
    if verified:
        await auth.store.update_user(user_id, {"emailVerified": True})
    return user_id


async def link(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await sign_in(client, "local", path="/link-social", **body)


async def test_link_social_attaches_the_account_and_keeps_the_session(
    make_linking: Callable[..., Any], mock_idp: MockIdP
) -> None:
    client, auth, events = await make_linking()
    user_id = await signed_up(client, auth, "me@example.com")
    mock_idp.update_profile(sub="me-sub", email="ME@example.com")
    session_before = client.cookies.get("better-auth.session_token")
    started = await start(client, "local", path="/link-social", callbackURL="/settings", errorCallbackURL="/oops")
    assert started.status_code == 200 and started.json()["redirect"] is True
    state = query(started.json()["url"])["state"]
    row = await auth.store.find_verification(f"auth-state:{state}")
    assert row is not None
    link_state = json.loads(row["value"])["link"]
    assert link_state["userId"] == user_id and link_state["email"] == "me@example.com"
    token = purpose_decrypt((SECRET,), "oauth-link-session-token", link_state["encryptedSessionToken"])
    assert session_before is not None and session_before.startswith(token)
    done = await callback(client, await at_provider(started.json()["url"]))
    assert location(done) == "/settings"
    assert "better-auth.session_token=" not in done.headers.get("set-cookie", "")
    listed = (await client.get(f"{AUTH}/list-accounts")).json()
    assert sorted(a["providerId"] for a in listed) == ["credential", "local"]
    assert next(a for a in listed if a["providerId"] == "local")["scopes"] == ["openid", "email"]
    await auth.audit.flush()
    assert [e.type for e in events].count("account_linked") == 1
    # Linking again merges scopes on the same row instead of adding one.
    again = await link(client, callbackURL="/settings", scopes=["profile"])
    assert location(again) == "/settings"
    local = [a for a in await auth.store.find_accounts(user_id) if a["providerId"] == "local"]
    assert len(local) == 1 and local[0]["scope"] == "openid,email,profile"


async def test_link_social_needs_a_session(make_linking: Callable[..., Any]) -> None:
    client, _, _ = await make_linking()
    answer = await start(client, "local", path="/link-social", callbackURL="/settings")
    assert answer.status_code == 401


async def test_link_with_another_email_is_refused_unless_allowed(
    make_linking: Callable[..., Any], mock_idp: MockIdP
) -> None:
    mock_idp.update_profile(sub="other-sub", email="someone-else@example.com")
    for n, (allow, expected) in enumerate(((False, "/oops?error=email_does_not_match"), (True, "/settings"))):
        client, auth, _ = await make_linking(account={"account_linking": {"allow_different_emails": allow}})
        await signed_up(client, auth, f"me{n}@example.com")
        assert location(await link(client, callbackURL="/settings", errorCallbackURL="/oops")) == expected


async def test_an_account_of_another_user_cannot_be_linked(make_linking: Callable[..., Any], mock_idp: MockIdP) -> None:
    client, auth, _ = await make_linking(account={"account_linking": {"allow_different_emails": True}})
    mock_idp.update_profile(sub="owned-sub", email="owner@example.com")
    assert location(await sign_in(client, "local", callbackURL="/dash")) == "/dash"  # owner signs up
    owner = await auth.store.find_user_by_email("owner@example.com")
    client.cookies.clear()
    intruder_id = await signed_up(client, auth, "intruder@example.com")
    refused = await link(client, callbackURL="/settings", errorCallbackURL="/oops")
    assert location(refused) == "/oops?error=account_already_linked_to_different_user"
    assert [a["providerId"] for a in await auth.store.find_accounts(intruder_id)] == ["credential"]
    assert owner is not None and len(await auth.store.find_accounts(owner["id"])) == 1


async def test_an_unverified_provider_email_cannot_be_linked(
    make_linking: Callable[..., Any], mock_idp: MockIdP
) -> None:
    client, auth, _ = await make_linking()
    await signed_up(client, auth, "me@example.com")
    mock_idp.update_profile(sub="me-sub", email="me@example.com", email_verified=False)
    refused = await link(client, callbackURL="/settings", errorCallbackURL="/oops")
    assert location(refused) == "/oops?error=unable_to_link_account"


async def test_a_link_dies_with_the_session_that_started_it(
    make_linking: Callable[..., Any], mock_idp: MockIdP
) -> None:
    # A stolen, half-finished link must not complete after the user signed out.
    client, auth, _ = await make_linking()
    user_id = await signed_up(client, auth, "me@example.com")
    mock_idp.update_profile(sub="me-sub", email="me@example.com")
    started = await start(client, "local", path="/link-social", callbackURL="/settings", errorCallbackURL="/oops")
    back = await at_provider(started.json()["url"])
    signed_out = await client.post(f"{AUTH}/sign-out", headers=ORIGIN)
    assert signed_out.status_code == 200
    refused = await callback(client, back)
    assert location(refused) == "/oops?error=unable_to_link_account"
    assert [a["providerId"] for a in await auth.store.find_accounts(user_id)] == ["credential"]


async def test_unlink(make_linking: Callable[..., Any], mock_idp: MockIdP) -> None:
    client, auth, events = await make_linking(session={"fresh_age": 0})
    assert location(await sign_in(client, "local", callbackURL="/dash")) == "/dash"
    [only] = (await client.get(f"{AUTH}/list-accounts")).json()
    last = await client.post(f"{AUTH}/unlink-account", json={"accountId": only["id"]}, headers=ORIGIN)
    assert last.status_code == 400
    assert last.json() == {"message": "You can't unlink your last account", "code": "FAILED_TO_UNLINK_LAST_ACCOUNT"}
    # With a password as well, the provider account can go.
    user_id = only["userId"]
    await auth.store.create_credential_account(user_id, "test$x")
    unknown = await client.post(f"{AUTH}/unlink-account", json={"accountId": "nope"}, headers=ORIGIN)
    assert unknown.status_code == 400 and unknown.json()["code"] == "ACCOUNT_NOT_FOUND"
    gone = await client.post(f"{AUTH}/unlink-account", json={"accountId": only["id"]}, headers=ORIGIN)
    assert gone.status_code == 200 and gone.json() == {"status": True}
    assert [a["providerId"] for a in await auth.store.find_accounts(user_id)] == ["credential"]
    await auth.audit.flush()
    assert any(e.type == "account_unlinked" and e.reason == "local" for e in events)


async def test_unlinking_everything_can_be_allowed(make_linking: Callable[..., Any]) -> None:
    client, _, _ = await make_linking(
        session={"fresh_age": 0}, account={"account_linking": {"allow_unlinking_all": True}}
    )
    assert location(await sign_in(client, "local", callbackURL="/dash")) == "/dash"
    [only] = (await client.get(f"{AUTH}/list-accounts")).json()
    gone = await client.post(f"{AUTH}/unlink-account", json={"accountId": only["id"]}, headers=ORIGIN)
    assert gone.status_code == 200


async def test_a_posted_callback_re_enters_as_a_get(make_linking: Callable[..., Any]) -> None:
    client, _, _ = await make_linking()
    bare = httpx.AsyncClient(transport=client._transport, base_url=BASE_URL)
    async with bare:  # a cross-site form post carries no cookies: no origin check, a 302 to the GET
        posted = await bare.post(f"{AUTH}/callback/local?iss=x", data={"code": "c 1", "state": "s"})
        assert location(posted) == f"{BASE_URL}{AUTH}/callback/local?code=c+1&state=s&iss=x"
    client.cookies.set("better-auth.session_token", "x")
    with_cookies = await client.post(f"{AUTH}/callback/local", data={"code": "c", "state": "s"})
    assert with_cookies.status_code == 403 and with_cookies.json()["code"] == "MISSING_OR_NULL_ORIGIN"

"""Against an OpenID-Certified provider (panva's oidc-provider): what a strict server refuses, we never accept.

The provider enforces PKCE S256, single-use codes and exact redirect URIs, keeps the id token minimal (``sub`` only,
so the profile comes from its userinfo endpoint) and issues refresh tokens; the login and consent forms are driven
like a browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from fastapi_betterauth import generic_oauth, oidc
from tests.conftest import ORIGIN

from .conftest import StrictIdP
from .flow import AUTH, at_provider, callback, location, query, sign_in, start

pytestmark = [pytest.mark.anyio, pytest.mark.interop]


@pytest.fixture
def make_strict(make_client: Callable[..., Any], strict_idp: StrictIdP) -> Callable[..., Any]:
    async def make(**provider_options: Any) -> Any:
        provider = oidc(
            "strict",
            client_id=strict_idp.client_id,
            client_secret=strict_idp.client_secret,
            discovery_url=strict_idp.discovery_url,
            scopes=["email", "profile", "offline_access"],
            prompt="consent",
            **provider_options,
        )
        return await make_client(plugins=[generic_oauth([provider])])

    return make


async def test_sign_in_with_a_strict_provider(make_strict: Callable[..., Any], strict_idp: StrictIdP) -> None:
    client, auth = await make_strict()
    done = await sign_in(client, "strict", login=strict_idp.login, callbackURL="/dash")
    assert location(done) == "/dash"
    user = (await client.get(f"{AUTH}/get-session")).json()["user"]
    assert user["email"] == "user-1@example.com" and user["name"] == "Strict user-1"
    [account] = await auth.store.find_accounts(user["id"])
    assert account["accountId"] == "user-1" and account["refreshToken"]
    refreshed = await client.post(f"{AUTH}/refresh-token", json={"accountId": account["id"]}, headers=ORIGIN)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["accessToken"] and refreshed.json()["accessToken"] != account["accessToken"]
    # A refresh token the provider does not know is refused, and said so.
    await auth.store.update_account(account["id"], {"refreshToken": "forged"})
    forged = await client.post(f"{AUTH}/refresh-token", json={"accountId": account["id"]}, headers=ORIGIN)
    assert forged.status_code == 400
    assert forged.json() == {"message": "Failed to refresh access token", "code": "FAILED_TO_REFRESH_ACCESS_TOKEN"}


async def test_a_wrong_code_verifier_is_refused_by_the_provider(
    make_strict: Callable[..., Any], strict_idp: StrictIdP
) -> None:
    client, auth = await make_strict()
    started = await start(client, "strict", callbackURL="/dash", errorCallbackURL="/oops")
    state = query(started.json()["url"])["state"]
    row = await auth.store.find_verification(f"auth-state:{state}")
    assert row is not None
    value = json.loads(row["value"])
    value["codeVerifier"] = "x" * 64  # what a thief of the code, without the verifier, would have to guess
    await auth.store.consume_verification(f"auth-state:{state}")
    await auth.store.create_verification(f"auth-state:{state}", json.dumps(value), expires_in=600)
    back = await at_provider(started.json()["url"], login=strict_idp.login)
    assert location(await callback(client, back)) == "/oops?error=invalid_code"


async def test_without_pkce_a_strict_provider_refuses_to_start(
    make_strict: Callable[..., Any], strict_idp: StrictIdP
) -> None:
    client, _ = await make_strict(pkce=False)
    started = await start(client, "strict", callbackURL="/dash", errorCallbackURL="/oops")
    assert "code_challenge" not in query(started.json()["url"])
    back = await at_provider(started.json()["url"], login=strict_idp.login)
    refused = query(location(await callback(client, back)))
    assert refused["error"] == "invalid_request" and "PKCE" in refused["error_description"]


async def test_a_code_cannot_be_used_twice(make_strict: Callable[..., Any], strict_idp: StrictIdP) -> None:
    client, auth = await make_strict()
    first = await start(client, "strict", callbackURL="/dash", errorCallbackURL="/oops")
    first_back = query(await at_provider(first.json()["url"], login=strict_idp.login))
    # The second flow's state (and cookie) with the first flow's code: the state checks pass, the provider
    # refuses the code (already issued for another verifier, then used).
    second = await start(client, "strict", callbackURL="/dash", errorCallbackURL="/oops")
    second_state = query(second.json()["url"])["state"]
    use_state_cookie(client, signed_state(first))  # a browser holds one flow's cookie at a time
    done = await client.get(
        f"{AUTH}/callback/strict?code={first_back['code']}&state={first_state(first)}&iss={first_back['iss']}"
    )
    assert location(done) == "/dash"
    use_state_cookie(client, signed_state(second))
    replayed = await client.get(f"{AUTH}/callback/strict?code={first_back['code']}&state={second_state}")
    assert location(replayed) == "/oops?error=invalid_code"
    assert len(await auth.store.find_accounts((await client.get(f"{AUTH}/get-session")).json()["user"]["id"])) == 1


def use_state_cookie(client: Any, value: str) -> None:
    domain = "localhost.local"
    for cookie in list(client.cookies.jar):
        if cookie.name == "better-auth.state":
            domain = cookie.domain
            client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    client.cookies.set("better-auth.state", value, domain=domain)


def first_state(started: Any) -> str:
    return query(started.json()["url"])["state"]


def signed_state(started: Any) -> str:
    cookie = next(c for c in started.headers.get_list("set-cookie") if c.startswith("better-auth.state="))
    return str(cookie.split(";")[0].split("=", 1)[1])

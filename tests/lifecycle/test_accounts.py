"""list-accounts and unlink-account (protocol §1.25, §1.26)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import ORIGIN

from .conftest import API, sign_up

pytestmark = pytest.mark.anyio


async def test_list_accounts_hides_secrets_and_splits_scopes(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client()
    user_id = (await sign_up(client)).json()["user"]["id"]
    await auth.store.create_account(
        {
            "userId": user_id,
            "accountId": "4242",
            "providerId": "github",
            "accessToken": "gho_SECRET",
            "refreshToken": "ghr_SECRET",
            "scope": "read:user, user:email",
        }
    )
    response = await client.get(f"{API}/list-accounts")
    assert response.status_code == 200
    accounts = {a["providerId"]: a for a in response.json()}
    assert set(accounts) == {"credential", "github"}
    assert accounts["github"]["scopes"] == ["read:user", "user:email"]
    assert accounts["credential"]["scopes"] == []
    assert accounts["credential"]["accountId"] == user_id
    for account in accounts.values():
        assert set(account) == {"id", "accountId", "providerId", "userId", "createdAt", "updatedAt", "scopes"}
    assert "SECRET" not in response.text and "password" not in response.text


async def test_unlink(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client()
    user_id = (await sign_up(client)).json()["user"]["id"]
    last = await client.post(f"{API}/unlink-account", json={"accountId": "whatever"}, headers=ORIGIN)
    assert last.json() == {"message": "You can't unlink your last account", "code": "FAILED_TO_UNLINK_LAST_ACCOUNT"}
    github = await auth.store.create_account({"userId": user_id, "accountId": "4242", "providerId": "github"})
    unknown = await client.post(f"{API}/unlink-account", json={"accountId": "nope"}, headers=ORIGIN)
    assert unknown.json() == {"message": "Account not found", "code": "ACCOUNT_NOT_FOUND"}
    done = await client.post(f"{API}/unlink-account", json={"accountId": github["id"]}, headers=ORIGIN)
    assert (done.status_code, done.json()) == (200, {"status": True})
    assert [a["providerId"] for a in await auth.store.find_accounts(user_id)] == ["credential"]


async def test_both_need_a_session(make_client: Callable[..., Any]) -> None:
    client, _ = await make_client()
    assert (await client.get(f"{API}/list-accounts")).status_code == 401
    assert (await client.post(f"{API}/unlink-account", json={"accountId": "x"})).status_code == 401

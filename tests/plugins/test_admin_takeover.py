"""An admin who may not impersonate admins cannot take over another admin another way (review finding 5).

Better Auth's ``/admin/list-user-sessions`` answers live session tokens, and ``set-user-password`` /
``update-user`` (email) hand over the account just as surely. Each of these, aimed at another admin, now
needs the permission that impersonating admins needs (``user: ["impersonate-admins"]``, or
``allow_impersonating_admins=True``); aimed at ordinary users nothing changes. Before the fix a plain admin
listed the root admin's sessions and used a token as a bearer credential.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fastapi_betterauth import admin, bearer
from fastapi_betterauth.plugins.admin.access import DEFAULT_AC, DEFAULT_STATEMENTS, USER_ROLE
from tests.conftest import ORIGIN

pytestmark = pytest.mark.anyio
API = "/api/auth"
PASSWORD = "password123"


async def world(make_client: Callable[..., Any], **admin_options: Any) -> tuple[httpx.AsyncClient, Any, dict[str, Any]]:
    """root and deputy (both role admin) and alice (user), each with a bearer token."""
    client, auth = await make_client(plugins=[bearer(), admin(**admin_options)])
    people: dict[str, Any] = {}
    for name in ("root", "deputy", "alice"):
        r = await client.post(
            f"{API}/sign-up/email", json={"email": f"{name}@example.com", "password": PASSWORD, "name": name}
        )
        assert r.status_code == 200
        people[name] = {"id": r.json()["user"]["id"], "token": r.headers["set-auth-token"]}
        client.cookies.clear()
    await auth.store.update_user(people["deputy"]["id"], {"role": "admin"})
    await auth.store.update_user(people["root"]["id"], {"role": "admin"})
    return client, auth, people


def as_(people: dict[str, Any], name: str) -> dict[str, str]:
    return {**ORIGIN, "Authorization": f"Bearer {people[name]['token']}"}


async def test_a_plain_admin_cannot_list_another_admins_session_tokens(make_client: Callable[..., Any]) -> None:
    client, _, people = await world(make_client)
    r = await client.post(
        f"{API}/admin/list-user-sessions", json={"userId": people["root"]["id"]}, headers=as_(people, "deputy")
    )
    assert (r.status_code, r.json()["code"]) == (403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS")
    assert people["root"]["token"].split(".")[0] not in r.text
    # The attack the review ran: root's token, used as deputy's bearer credential, is never obtained.
    ordinary = await client.post(
        f"{API}/admin/list-user-sessions", json={"userId": people["alice"]["id"]}, headers=as_(people, "deputy")
    )
    assert ordinary.status_code == 200 and len(ordinary.json()["sessions"]) == 1
    own = await client.post(
        f"{API}/admin/list-user-sessions", json={"userId": people["deputy"]["id"]}, headers=as_(people, "deputy")
    )
    assert own.status_code == 200


async def test_a_plain_admin_cannot_set_another_admins_password_or_email(make_client: Callable[..., Any]) -> None:
    client, _, people = await world(make_client)
    pw = await client.post(
        f"{API}/admin/set-user-password",
        json={"userId": people["root"]["id"], "newPassword": "taken-over-123"},
        headers=as_(people, "deputy"),
    )
    assert (pw.status_code, pw.json()["code"]) == (403, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD")
    mail = await client.post(
        f"{API}/admin/update-user",
        json={"userId": people["root"]["id"], "data": {"email": "deputy-owned@example.com"}},
        headers=as_(people, "deputy"),
    )
    assert (mail.status_code, mail.json()["code"]) == (403, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL")
    client.cookies.clear()
    signed_in = await client.post(f"{API}/sign-in/email", json={"email": "root@example.com", "password": PASSWORD})
    assert signed_in.status_code == 200  # root's credentials are unchanged
    # Ordinary users are managed as before, names too.
    body = {"userId": people["alice"]["id"], "newPassword": "reset-by-admin-1"}
    assert (await client.post(f"{API}/admin/set-user-password", json=body, headers=as_(people, "deputy"))).is_success
    renamed = await client.post(
        f"{API}/admin/update-user",
        json={"userId": people["root"]["id"], "data": {"name": "Root"}},
        headers=as_(people, "deputy"),
    )
    assert renamed.status_code == 200


@pytest.mark.parametrize("way", ["option", "permission"])
async def test_the_impersonate_admins_permission_allows_it(make_client: Callable[..., Any], way: str) -> None:
    if way == "option":
        client, _, people = await world(make_client, allow_impersonating_admins=True)
    else:
        super_admin = DEFAULT_AC.role({"user": list(DEFAULT_STATEMENTS["user"]), "session": ["list", "revoke"]})
        client, _, people = await world(make_client, roles={"admin": super_admin, "user": USER_ROLE})
    r = await client.post(
        f"{API}/admin/list-user-sessions", json={"userId": people["root"]["id"]}, headers=as_(people, "deputy")
    )
    assert r.status_code == 200 and len(r.json()["sessions"]) == 1
    pw = await client.post(
        f"{API}/admin/set-user-password",
        json={"userId": people["root"]["id"], "newPassword": "set-by-deputy-1"},
        headers=as_(people, "deputy"),
    )
    assert pw.status_code == 200

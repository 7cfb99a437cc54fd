"""The admin plugin and the RBAC dependencies over HTTP (protocol §9.3), on every storage backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI

from fastapi_betterauth import (
    AccessControl,
    AuthError,
    User,
    Where,
    admin,
    bearer,
    has_permission,
    jwt,
    require_permission,
    require_role,
)
from fastapi_betterauth.plugins.admin.access import ADMIN_ROLE, DEFAULT_STATEMENTS, USER_ROLE
from tests.conftest import ORIGIN

pytestmark = pytest.mark.anyio
API = "/api/auth"
PASSWORD = "password123"


def app_with_guards(auth: Any) -> FastAPI:
    application = FastAPI(lifespan=auth.lifespan)
    application.include_router(auth.router)

    @application.get("/admin-only")
    async def admin_only(user: Annotated[User, require_role("admin")]) -> dict[str, str]:
        return {"id": user.id}

    @application.delete("/tasks")
    async def delete_tasks(user: Annotated[User, require_permission({"task": ["delete"]})]) -> dict[str, str]:
        return {"id": user.id}

    return application


async def world(make_client: Callable[..., Any], **admin_options: Any) -> tuple[httpx.AsyncClient, Any, dict[str, Any]]:
    """An admin (role set in the database) and a plain user; returns their cookies and ids."""
    client, auth = await make_client(plugins=[bearer(), jwt(), admin(**admin_options)], app=app_with_guards)
    people: dict[str, Any] = {}
    for name in ("boss", "alice"):
        response = await client.post(
            f"{API}/sign-up/email", json={"email": f"{name}@example.com", "password": PASSWORD, "name": name.title()}
        )
        assert response.status_code == 200
        people[name] = {"id": response.json()["user"]["id"], "bearer": response.headers["set-auth-token"]}
        client.cookies.clear()
    await auth.store.update_user(people["boss"]["id"], {"role": "admin"})
    return client, auth, people


def as_(people: dict[str, Any], name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {people[name]['bearer']}"}


async def test_new_users_get_the_default_role_and_cannot_pick_one(make_client: Callable[..., Any]) -> None:
    client, auth, people = await world(make_client)
    user = await auth.store.find_user_by_id(people["alice"]["id"])
    assert (user["role"], user["banned"]) == ("user", False)
    sneaky = await client.post(
        f"{API}/sign-up/email", json={"email": "x@example.com", "password": PASSWORD, "name": "X", "role": "admin"}
    )
    assert sneaky.status_code == 400 and sneaky.json()["code"] == "FIELD_NOT_ALLOWED"


async def test_admin_routes_refuse_anonymous_and_non_admins(make_client: Callable[..., Any]) -> None:
    client, _, people = await world(make_client)
    anonymous = await client.get(f"{API}/admin/list-users")
    assert (anonymous.status_code, anonymous.content) == (401, b"")
    refused = await client.get(f"{API}/admin/list-users", headers=as_(people, "alice"))
    assert refused.status_code == 403
    assert refused.json() == {
        "message": "You are not allowed to list users",
        "code": "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS",
    }
    for path, body, code in (
        (
            "/admin/set-role",
            {"userId": people["alice"]["id"], "role": "admin"},
            "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE",
        ),
        ("/admin/ban-user", {"userId": people["boss"]["id"]}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"),
        ("/admin/remove-user", {"userId": people["boss"]["id"]}, "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS"),
        ("/admin/impersonate-user", {"userId": people["boss"]["id"]}, "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS"),
    ):
        response = await client.post(f"{API}{path}", json=body, headers=as_(people, "alice"))
        assert (response.status_code, response.json()["code"]) == (403, code), path


async def test_list_users_search_filter_sort_paginate(make_client: Callable[..., Any]) -> None:
    client, _, people = await world(make_client)
    headers = as_(people, "boss")
    everyone = (await client.get(f"{API}/admin/list-users", params={"sortBy": "email"}, headers=headers)).json()
    assert [u["email"] for u in everyone["users"]] == ["alice@example.com", "boss@example.com"]
    assert everyone["total"] == 2 and "limit" not in everyone and "offset" not in everyone
    page = (
        await client.get(
            f"{API}/admin/list-users", params={"limit": "1", "offset": "1", "sortBy": "email"}, headers=headers
        )
    ).json()
    assert ([u["email"] for u in page["users"]], page["total"], page["limit"], page["offset"]) == (
        ["boss@example.com"],
        2,
        1,
        1,
    )
    search = (
        await client.get(
            f"{API}/admin/list-users", params={"searchValue": "Ali", "searchField": "name"}, headers=headers
        )
    ).json()
    assert [u["name"] for u in search["users"]] == ["Alice"] and search["total"] == 1
    admins = (
        await client.get(
            f"{API}/admin/list-users", params={"filterField": "role", "filterValue": "admin"}, headers=headers
        )
    ).json()
    assert [u["email"] for u in admins["users"]] == ["boss@example.com"]
    bad = await client.get(f"{API}/admin/list-users", params={"sortDirection": "sideways"}, headers=headers)
    assert bad.json() == {
        "message": '[query.sortDirection] Invalid option: expected one of "asc"|"desc"',
        "code": "VALIDATION_ERROR",
    }


async def test_ban_ends_sessions_and_blocks_sign_in_until_it_expires(make_client: Callable[..., Any]) -> None:
    client, auth, people = await world(make_client)
    alice = people["alice"]["id"]
    banned = await client.post(
        f"{API}/admin/ban-user",
        json={"userId": alice, "banReason": "spam", "banExpiresIn": 3600},
        headers=as_(people, "boss"),
    )
    user = banned.json()["user"]
    assert (user["banned"], user["banReason"]) == (True, "spam") and user["banExpires"] is not None
    assert await auth.adapter.find_many("session", [Where("userId", alice)]) == []
    assert (await client.get(f"{API}/get-session", headers=as_(people, "alice"))).json() is None
    refused = await client.post(
        f"{API}/sign-in/email", json={"email": "alice@example.com", "password": PASSWORD}, headers=ORIGIN
    )
    assert refused.status_code == 403 and refused.json()["code"] == "BANNED_USER"
    assert refused.json()["message"].startswith("You have been banned from this application")
    # An expired ban is lifted at the next sign-in.
    await auth.store.update_user(
        alice, {"banExpires": (await auth.store.find_user_by_id(alice))["createdAt"] - timedelta(seconds=1)}
    )
    again = await client.post(
        f"{API}/sign-in/email", json={"email": "alice@example.com", "password": PASSWORD}, headers=ORIGIN
    )
    assert again.status_code == 200
    assert (await auth.store.find_user_by_id(alice))["banned"] is False
    client.cookies.clear()
    self_ban = await client.post(
        f"{API}/admin/ban-user", json={"userId": people["boss"]["id"]}, headers=as_(people, "boss")
    )
    assert self_ban.json()["code"] == "YOU_CANNOT_BAN_YOURSELF"
    unbanned = await client.post(f"{API}/admin/unban-user", json={"userId": alice}, headers=as_(people, "boss"))
    assert unbanned.json()["user"]["banned"] is False


async def test_create_update_password_remove(make_client: Callable[..., Any]) -> None:
    client, auth, people = await world(make_client)
    boss = as_(people, "boss")
    created = await client.post(
        f"{API}/admin/create-user",
        json={"email": "New@Example.com", "password": "initial-pass", "name": "New", "role": ["user", "editor"]},
        headers=boss,
    )
    new = created.json()["user"]
    assert (new["email"], new["role"]) == ("new@example.com", "user,editor")
    duplicate = await client.post(
        f"{API}/admin/create-user", json={"email": "new@example.com", "name": "N"}, headers=boss
    )
    assert duplicate.json()["code"] == "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
    for data, code in (
        ({}, "NO_DATA_TO_UPDATE"),
        ({"password": "x"}, "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER"),
        ({"id": "x"}, "USER_ID_CANNOT_BE_UPDATED"),
    ):
        response = await client.post(f"{API}/admin/update-user", json={"userId": new["id"], "data": data}, headers=boss)
        assert response.json()["code"] == code
    updated = await client.post(
        f"{API}/admin/update-user", json={"userId": new["id"], "data": {"name": "Renamed"}}, headers=boss
    )
    assert updated.json()["name"] == "Renamed"
    assert (
        await client.post(
            f"{API}/admin/set-user-password", json={"userId": new["id"], "newPassword": "second-pass"}, headers=boss
        )
    ).json() == {"status": True}
    signed_in = await client.post(
        f"{API}/sign-in/email", json={"email": "new@example.com", "password": "second-pass"}, headers=ORIGIN
    )
    assert signed_in.status_code == 200
    client.cookies.clear()
    assert (await client.post(f"{API}/admin/remove-user", json={"userId": people["boss"]["id"]}, headers=boss)).json()[
        "code"
    ] == "YOU_CANNOT_REMOVE_YOURSELF"
    assert (await client.post(f"{API}/admin/remove-user", json={"userId": new["id"]}, headers=boss)).json() == {
        "success": True
    }
    assert await auth.store.find_user_by_id(new["id"]) is None
    missing = await client.post(f"{API}/admin/remove-user", json={"userId": new["id"]}, headers=boss)
    assert (missing.status_code, missing.json()["code"]) == (404, "USER_NOT_FOUND")


async def test_sessions_and_impersonation(make_client: Callable[..., Any]) -> None:
    client, _, people = await world(make_client)
    boss = as_(people, "boss")
    listed = (
        await client.post(f"{API}/admin/list-user-sessions", json={"userId": people["alice"]["id"]}, headers=boss)
    ).json()
    assert len(listed["sessions"]) == 1
    # Impersonation uses cookies: sign the admin in with a cookie jar.
    signed_in = await client.post(
        f"{API}/sign-in/email", json={"email": "boss@example.com", "password": PASSWORD}, headers=ORIGIN
    )
    assert signed_in.status_code == 200
    started = await client.post(f"{API}/admin/impersonate-user", json={"userId": people["alice"]["id"]}, headers=ORIGIN)
    assert started.status_code == 200 and started.json()["session"]["impersonatedBy"] == people["boss"]["id"]
    assert "better-auth.admin_session=" in started.headers["set-cookie"]
    me = (await client.get(f"{API}/get-session")).json()
    assert me["user"]["email"] == "alice@example.com"
    hidden = (await client.get(f"{API}/list-sessions")).json()
    assert all(not s.get("impersonatedBy") for s in hidden) and len(hidden) == 1
    stopped = await client.post(f"{API}/admin/stop-impersonating", json={}, headers=ORIGIN)
    assert stopped.json()["user"]["email"] == "boss@example.com"
    assert (await client.get(f"{API}/get-session")).json()["user"]["email"] == "boss@example.com"
    not_now = await client.post(f"{API}/admin/stop-impersonating", json={}, headers=ORIGIN)
    assert (not_now.status_code, not_now.json()) == (400, {"message": "You are not impersonating anyone"})
    admins = await client.post(f"{API}/admin/impersonate-user", json={"userId": people["boss"]["id"]}, headers=ORIGIN)
    assert admins.json()["code"] == "YOU_CANNOT_IMPERSONATE_ADMINS"
    revoked = await client.post(
        f"{API}/admin/revoke-user-sessions", json={"userId": people["alice"]["id"]}, headers=ORIGIN
    )
    assert revoked.json() == {"success": True}
    assert (await client.get(f"{API}/get-session", headers={**as_(people, "alice"), "Cookie": ""})).json() is None


async def test_has_permission(make_client: Callable[..., Any]) -> None:
    client, _, people = await world(make_client)
    ask = {"permissions": {"user": ["ban"]}}
    assert (await client.post(f"{API}/admin/has-permission", json=ask, headers=as_(people, "boss"))).json() == {
        "error": None,
        "success": True,
    }
    assert (await client.post(f"{API}/admin/has-permission", json=ask, headers=as_(people, "alice"))).json() == {
        "error": None,
        "success": False,
    }
    singular = await client.post(
        f"{API}/admin/has-permission", json={"permission": {"user": ["ban"]}}, headers=as_(people, "boss")
    )
    assert singular.json() == {"message": "invalid permission check. no permission(s) were passed."}


async def test_role_changes_apply_on_the_next_request_for_every_credential(make_client: Callable[..., Any]) -> None:
    client, auth, people = await world(make_client)
    alice = people["alice"]["id"]
    signed_in = await client.post(
        f"{API}/sign-in/email", json={"email": "alice@example.com", "password": PASSWORD}, headers=ORIGIN
    )
    cookie = "; ".join(c.split(";", 1)[0] for c in signed_in.headers.get_list("set-cookie"))
    client.cookies.clear()
    token = (await client.get(f"{API}/token", headers=as_(people, "alice"))).json()["token"]
    credentials = {
        "cookie": {"Cookie": cookie},
        "bearer": as_(people, "alice"),
        "jwt": {"Authorization": f"Bearer {token}"},
    }
    for headers in credentials.values():
        assert (await client.get("/admin-only", headers=headers)).status_code == 403
    await client.post(f"{API}/admin/set-role", json={"userId": alice, "role": "admin"}, headers=as_(people, "boss"))
    for name, headers in credentials.items():
        assert (await client.get("/admin-only", headers=headers)).json() == {"id": alice}, name
    await auth.store.update_user(alice, {"role": "user"})
    for name, headers in credentials.items():
        response = await client.get("/admin-only", headers=headers)
        assert response.status_code == 403, name
        assert response.json() == {"message": "You are not allowed to access this resource", "code": "FORBIDDEN"}
    assert (await client.get("/admin-only")).status_code == 401


async def test_require_permission_with_application_roles(make_client: Callable[..., Any]) -> None:
    ac = AccessControl({**DEFAULT_STATEMENTS, "task": ["create", "read", "delete"]})
    roles = {"admin": ADMIN_ROLE, "user": USER_ROLE, "editor": ac.role({"task": ["create", "read", "delete"]})}
    client, auth, people = await world(make_client, roles=roles)
    assert (await client.delete("/tasks", headers=as_(people, "alice"))).status_code == 403
    assert (await client.delete("/tasks", headers=as_(people, "boss"))).status_code == 403  # admin has no task grant
    await auth.store.update_user(people["alice"]["id"], {"role": "user,editor"})
    assert (await client.delete("/tasks", headers=as_(people, "alice"))).json() == {"id": people["alice"]["id"]}
    unknown = await client.post(
        f"{API}/admin/set-role", json={"userId": people["alice"]["id"], "role": "wizard"}, headers=as_(people, "boss")
    )
    assert unknown.json()["code"] == "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE"


def test_has_permission_rules() -> None:
    asked = {"user": ["ban"]}
    assert has_permission(user_id="u", role="admin", permissions=asked)
    assert not has_permission(user_id="u", role="user", permissions=asked)
    assert has_permission(user_id="u", role="user,admin", permissions=asked)
    assert not has_permission(user_id="u", role="admin", permissions={"user": ["impersonate-admins"]})
    assert not has_permission(user_id="u", role="admin", permissions={"user": ["ban"], "unknown": ["x"]})
    assert not has_permission(user_id="u", role="admin", permissions={})
    assert not has_permission(user_id="u", role="admin", permissions={"user": []})
    assert has_permission(user_id="root", role="user", permissions=asked, admin_user_ids=["root"])
    assert not has_permission(user_id="u", role="", permissions=asked)


async def test_admin_user_ids_from_the_settings_bootstrap_the_first_admin(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(plugins=[bearer(), admin()], admin_user_ids=["root-user-0000"])
    root = await auth.store.create_user({"id": "root-user-0000", "name": "Root", "email": "root@example.com"})
    assert root["role"] == "user"  # no admin role needed
    session = await auth.store.create_session(root["id"], expires_in=3600, ip_address="", user_agent="")
    response = await client.get(f"{API}/admin/list-users", headers={"Authorization": f"Bearer {session['token']}"})
    assert response.status_code == 200 and response.json()["total"] == 1


async def test_guards_are_documented_in_openapi(make_client: Callable[..., Any]) -> None:
    client, _, _ = await world(make_client)
    spec = (await client.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["BetterAuthBearer"]["scheme"] == "bearer"
    assert schemes["BetterAuthSessionCookie"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "better-auth.session_token",
        "description": "The signed session cookie set by sign-in",
    }
    for path, method in (("/admin-only", "get"), ("/tasks", "delete")):
        security = spec["paths"][path][method]["security"]
        assert {"BetterAuthBearer": []} in security and {"BetterAuthSessionCookie": []} in security


@pytest.mark.parametrize(
    ("data", "field", "expected", "received"),
    [
        ({"banExpires": "not a date"}, "banExpires", "date", "string"),
        ({"emailVerified": "yes"}, "emailVerified", "boolean", "string"),
        ({"name": 5}, "name", "string", "number"),
        ({"image": {"a": 1}}, "image", "string", "object"),
        ({"banned": "x"}, "banned", "boolean", "string"),
    ],
)
async def test_wrongly_typed_data_is_a_400_not_a_database_error(
    make_client: Callable[..., Any], data: dict[str, Any], field: str, expected: str, received: str
) -> None:
    client, _, people = await world(make_client)
    message = f"[body.data.{field}] Invalid input: expected {expected}, received {received}"
    update = await client.post(
        f"{API}/admin/update-user", json={"userId": people["alice"]["id"], "data": data}, headers=as_(people, "boss")
    )
    assert (update.status_code, update.json()) == (400, {"message": message, "code": "VALIDATION_ERROR"})
    create = await client.post(
        f"{API}/admin/create-user",
        json={"email": "n@example.com", "name": "N", "data": data},
        headers=as_(people, "boss"),
    )
    assert (create.status_code, create.json()["code"]) == (400, "VALIDATION_ERROR")
    huge = await client.post(
        f"{API}/admin/ban-user",
        json={"userId": people["alice"]["id"], "banExpiresIn": 1e30},
        headers=as_(people, "boss"),
    )
    assert (huge.status_code, huge.json()["code"]) == (400, "VALIDATION_ERROR")


async def test_list_users_never_answers_more_than_a_page(make_client: Callable[..., Any]) -> None:
    """Review finding 8: Better Auth lists every user when no limit is given; here at most max_page_size."""
    client, auth, people = await world(make_client, max_page_size=3)
    for n in range(4):
        await auth.store.create_user({"email": f"extra{n}@example.com", "name": f"E{n}"})
    unbounded = await client.get(f"{API}/admin/list-users", headers=as_(people, "boss"))
    assert unbounded.status_code == 200
    assert len(unbounded.json()["users"]) == 3 and unbounded.json()["total"] == 6
    asked = await client.get(f"{API}/admin/list-users", params={"limit": 100, "offset": 3}, headers=as_(people, "boss"))
    assert len(asked.json()["users"]) == 3 and asked.json()["limit"] == 3 and asked.json()["offset"] == 3


@pytest.mark.parametrize(
    ("body", "status", "answer"),
    [
        ({}, 400, {"message": "[body] Invalid input", "code": "VALIDATION_ERROR"}),
        (
            {"permissions": {"user": ["list"]}, "permission": {"user": ["list"]}},
            400,
            {"message": "[body] Invalid input: more than one option matched", "code": "VALIDATION_ERROR"},
        ),
        (
            {"permission": {"user": ["list"]}},
            400,
            {"message": "invalid permission check. no permission(s) were passed."},
        ),
        (
            {"permissions": {"user": ["list"]}, "role": "user", "userId": "someone"},
            200,
            {"error": None, "success": True},
        ),
    ],
    ids=["neither", "both", "singular", "role-and-user-ignored-with-a-session"],
)
async def test_has_permission_over_http_answers_as_better_auth(
    make_client: Callable[..., Any], body: dict[str, Any], status: int, answer: dict[str, Any]
) -> None:
    """Answers taken from Better Auth 1.7.24's own ``auth.api.userHasPermission`` (review of issue 12, item 7)."""
    client, _, people = await world(make_client)
    r = await client.post(f"{API}/admin/has-permission", json=body, headers=as_(people, "boss"))
    assert (r.status_code, r.json()) == (status, answer)


async def test_has_permission_server_side_checks_a_role_or_a_user(make_client: Callable[..., Any]) -> None:
    """Without a session, a server-side call names a role or a user id (Better Auth's ``userId`` / ``role``)."""
    _, auth, people = await world(make_client)
    ask = {"permissions": {"user": ["list"]}}
    call = auth.api.user_has_permission
    assert await call(body={**ask, "role": "admin"}) == {"error": None, "success": True}
    assert await call(body={**ask, "role": "user"}) == {"error": None, "success": False}
    assert await call(body={**ask, "userId": people["boss"]["id"]}) == {"error": None, "success": True}
    assert await call(body={**ask, "userId": people["alice"]["id"]}) == {"error": None, "success": False}
    for extra, message in [({"userId": "nobody"}, "user not found"), ({}, "user id or role is required")]:
        with pytest.raises(AuthError) as refused:
            await call(body={**ask, **extra})
        assert (refused.value.status, refused.value.message) == (400, message)
    with pytest.raises(AuthError) as anonymous:  # with request headers it is an HTTP-like call: a session is needed
        await call(body={**ask, "role": "admin"}, headers={"user-agent": "x"})
    assert anonymous.value.status == 401


async def test_server_code_creates_users_without_an_admin_session(make_client: Callable[..., Any]) -> None:
    """``auth.api.create_user(body=...)`` without headers is trusted server code, as in Better Auth (issue 17,
    item 6): a deployment script creates the first admin. With headers, or over HTTP, a session is needed."""
    client, auth, _ = await world(make_client)
    created = await auth.api.create_user(
        body={"email": "First@Example.com", "password": "password123", "name": "First", "role": "admin"}
    )
    assert created["user"]["email"] == "first@example.com" and created["user"]["role"] == "admin"
    signed_in = await client.post(
        f"{API}/sign-in/email", json={"email": "first@example.com", "password": "password123"}
    )
    assert signed_in.status_code == 200
    banned = await auth.api.create_user(
        body={"email": "b@example.com", "password": "password123", "name": "B", "data": {"banned": True}}
    )
    assert banned["user"]["banned"] is True
    with pytest.raises(AuthError) as with_headers:
        await auth.api.create_user(
            body={"email": "h@example.com", "password": "password123", "name": "H"}, headers={"user-agent": "x"}
        )
    assert with_headers.value.status == 401
    client.cookies.clear()
    over_http = await client.post(
        f"{API}/admin/create-user", json={"email": "w@example.com", "password": "password123", "name": "W"}
    )
    assert over_http.status_code == 401
    assert await auth.store.find_user_by_email("h@example.com") is None
    assert await auth.store.find_user_by_email("w@example.com") is None

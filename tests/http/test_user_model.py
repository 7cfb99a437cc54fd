"""``User``: the admin plugin's columns are typed fields, serialised only when the row has them."""

from typing import Any

import pytest
from fastapi import FastAPI

from fastapi_betterauth import BetterAuth, CurrentUser, User, admin
from tests.conftest import sign_up

pytestmark = pytest.mark.anyio


def with_me_route(auth: BetterAuth) -> FastAPI:
    app = FastAPI(lifespan=auth.lifespan)
    app.include_router(auth.router)

    @app.get("/me")
    async def me(user: CurrentUser) -> User:
        return user

    @app.get("/my-roles")
    async def my_roles(user: CurrentUser) -> dict[str, Any]:
        return {"role": user.role, "roles": list(user.roles), "banned": user.banned}

    return app


async def test_with_the_admin_plugin_role_and_ban_fields_are_typed_and_sent(make_client: Any) -> None:
    client, _ = await make_client(plugins=[admin()], app=with_me_route)
    await sign_up(client)
    me = (await client.get("/me")).json()
    assert me["role"] == "user" and me["banned"] is False
    assert "banReason" in me and "banExpires" in me
    assert (await client.get("/my-roles")).json() == {"role": "user", "roles": ["user"], "banned": False}
    session_user = (await client.get("/api/auth/get-session")).json()["user"]
    assert set(me) == set(session_user)  # the app's own route answers the same user shape as get-session


async def test_without_the_admin_plugin_the_user_is_sent_as_better_auth_sends_it(make_client: Any) -> None:
    client, _ = await make_client(app=with_me_route)
    await sign_up(client)
    me = (await client.get("/me")).json()
    assert not {"role", "banned", "banReason", "banExpires"} & set(me)
    assert set(me) == set((await client.get("/api/auth/get-session")).json()["user"])
    assert (await client.get("/my-roles")).json() == {"role": None, "roles": [], "banned": None}


def test_openapi_documents_the_user_fields() -> None:
    app = FastAPI()

    @app.get("/me")
    async def me() -> User:
        raise NotImplementedError

    schema = app.openapi()["components"]["schemas"]["User"]
    assert {"id", "email", "emailVerified", "role", "banned", "banReason", "banExpires"} <= set(schema["properties"])


@pytest.mark.parametrize(
    ("role", "roles"), [("admin,support", ("admin", "support")), (" a , ,b", ("a", "b")), ("", ())]
)
def test_roles_splits_the_role_column(role: str, roles: tuple[str, ...]) -> None:
    user = User.model_validate(
        {"id": "u", "name": "n", "email": "e@x.io", "emailVerified": True, "createdAt": 0, "updatedAt": 0, "role": role}
    )
    assert user.roles == roles

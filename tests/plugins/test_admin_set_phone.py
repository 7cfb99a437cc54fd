"""``/admin/update-user`` needs ``user: ["set-phone"]`` to change a phone number, as Better Auth's does.

Before, ``user: ["update"]`` was enough: a support role allowed to rename users could also point an
account's phone number (its SMS sign-in and recovery channel, where an app adds one) at the attacker's.
"""

from collections.abc import Callable
from typing import Any

import pytest

from fastapi_betterauth import admin, bearer
from fastapi_betterauth.db.schema import FieldSpec, TableSpec
from fastapi_betterauth.plugins.admin.access import ADMIN_ROLE, DEFAULT_AC, USER_ROLE
from fastapi_betterauth.protocol.plugin import Plugin
from tests.conftest import ORIGIN

pytestmark = pytest.mark.anyio
API = "/api/auth"
PHONE = Plugin(
    id="phone",
    schema=(
        TableSpec(
            "user",
            (
                FieldSpec("phoneNumber", "string", required=False),
                FieldSpec("phoneNumberVerified", "boolean", required=False),
            ),
        ),
    ),
)
SUPPORT = DEFAULT_AC.role({"user": ["update", "list"]})


async def people(make_client: Callable[..., Any]) -> tuple[Any, Any, dict[str, dict[str, str]]]:
    roles = {"admin": ADMIN_ROLE, "user": USER_ROLE, "support": SUPPORT}
    client, auth = await make_client(plugins=[bearer(), admin(roles=roles), PHONE])
    out: dict[str, dict[str, str]] = {}
    for name in ("boss", "helpdesk", "alice"):
        r = await client.post(
            f"{API}/sign-up/email", json={"email": f"{name}@example.com", "password": "password123", "name": name}
        )
        assert r.status_code == 200
        out[name] = {"id": r.json()["user"]["id"], "token": r.headers["set-auth-token"]}
        client.cookies.clear()
    await auth.store.update_user(out["boss"]["id"], {"role": "admin"})
    await auth.store.update_user(out["helpdesk"]["id"], {"role": "support"})
    return client, auth, out


def as_(who: dict[str, str]) -> dict[str, str]:
    return {**ORIGIN, "Authorization": f"Bearer {who['token']}"}


@pytest.mark.parametrize("field", [{"phoneNumber": "+15550100"}, {"phoneNumberVerified": True}])
async def test_update_permission_alone_cannot_change_a_phone_number(
    make_client: Callable[..., Any], field: dict[str, Any]
) -> None:
    client, auth, who = await people(make_client)
    r = await client.post(
        f"{API}/admin/update-user",
        json={"userId": who["alice"]["id"], "data": {"name": "Alice", **field}},
        headers=as_(who["helpdesk"]),
    )
    assert (r.status_code, r.json()["code"]) == (403, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER")
    stored = await auth.store.find_user_by_id(who["alice"]["id"])
    assert stored is not None and stored["name"] == "alice" and not stored.get("phoneNumber")


async def test_set_phone_permission_changes_it_and_update_alone_still_renames(make_client: Callable[..., Any]) -> None:
    client, auth, who = await people(make_client)
    renamed = await client.post(
        f"{API}/admin/update-user",
        json={"userId": who["alice"]["id"], "data": {"name": "Alice"}},
        headers=as_(who["helpdesk"]),
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Alice"
    phoned = await client.post(
        f"{API}/admin/update-user",
        json={"userId": who["alice"]["id"], "data": {"phoneNumber": "+15550100", "phoneNumberVerified": True}},
        headers=as_(who["boss"]),
    )
    assert phoned.status_code == 200, phoned.text
    stored = await auth.store.find_user_by_id(who["alice"]["id"])
    assert stored is not None and stored["phoneNumber"] == "+15550100" and stored["phoneNumberVerified"] is True

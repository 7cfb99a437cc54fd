"""Additional and plugin user fields are type-checked in one place, wherever a request sets them.

Before, sign-up and update-user stored them as given: an object in a text column was a 500 on SQLite and
PostgreSQL, and ``"notanumber"`` went into a number column.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fastapi_betterauth.db.schema import FieldSpec, TableSpec
from fastapi_betterauth.protocol.plugin import Plugin
from tests.conftest import ORIGIN

pytestmark = pytest.mark.anyio
API = "/api/auth"
PROFILE = Plugin(
    id="profile",
    schema=(
        TableSpec(
            "user",
            (
                FieldSpec("nickname", "string", required=False),
                FieldSpec("age", "number", required=False),
                FieldSpec("newsletter", "boolean", required=False),
                FieldSpec("birthday", "date", required=False),
            ),
        ),
        TableSpec("session", (FieldSpec("device", "string", required=False),)),
    ),
)
JSON = {"content-type": "application/json"}  # json.dumps escapes what httpx's UTF-8 cannot encode ("\ud800")
GOOD = {"nickname": "al", "age": 41, "newsletter": True, "birthday": "1985-04-01T00:00:00.000Z"}
BAD = [
    ({"nickname": {"a": 1}}, "[body.nickname] Invalid input: expected string, received object"),
    ({"nickname": [1, 2]}, "[body.nickname] Invalid input: expected string, received array"),
    ({"age": "notanumber"}, "[body.age] Invalid input: expected number, received string"),
    ({"age": True}, "[body.age] Invalid input: expected number, received boolean"),
    ({"newsletter": "yes"}, "[body.newsletter] Invalid input: expected boolean, received string"),
    ({"birthday": "not a date"}, "[body.birthday] Invalid input: expected date, received string"),
    ({"birthday": {}}, "[body.birthday] Invalid input: expected date, received object"),
    ({"nickname": "a\x00b"}, "[body.nickname] Invalid input: NUL characters are not allowed"),
    ({"nickname": "a\ud800"}, "[body.nickname] Invalid input: unpaired UTF-16 surrogates are not allowed"),
]


async def client_with_profile(make_client: Callable[..., Any]) -> tuple[httpx.AsyncClient, Any]:
    client, auth = await make_client(plugins=[PROFILE])
    client.headers.update(ORIGIN)
    return client, auth


@pytest.mark.parametrize(("extra", "message"), BAD)
async def test_sign_up_refuses_a_wrongly_typed_field(make_client: Callable[..., Any], extra: Any, message: str) -> None:
    client, auth = await client_with_profile(make_client)
    body = {"email": "t@example.com", "password": "password123", "name": "T", **extra}
    r = await client.post(f"{API}/sign-up/email", content=json.dumps(body), headers=JSON)
    assert (r.status_code, r.json()) == (400, {"message": message, "code": "VALIDATION_ERROR"})
    assert await auth.adapter.count("user") == 0


@pytest.mark.parametrize(("extra", "message"), BAD)
async def test_update_user_refuses_a_wrongly_typed_field(
    make_client: Callable[..., Any], extra: Any, message: str
) -> None:
    client, _ = await client_with_profile(make_client)
    r = await client.post(
        f"{API}/sign-up/email", json={"email": "t@example.com", "password": "password123", "name": "T"}
    )
    assert r.status_code == 200
    r = await client.post(f"{API}/update-user", content=json.dumps(extra), headers=JSON)
    assert (r.status_code, r.json()) == (400, {"message": message, "code": "VALIDATION_ERROR"})


async def test_well_typed_fields_are_stored_and_answered(make_client: Callable[..., Any]) -> None:
    client, auth = await client_with_profile(make_client)
    r = await client.post(
        f"{API}/sign-up/email", json={"email": "t@example.com", "password": "password123", "name": "T", **GOOD}
    )
    assert r.status_code == 200, r.text
    user = r.json()["user"]
    assert (user["nickname"], user["age"], user["newsletter"], user["birthday"]) == (
        "al",
        41,
        True,
        "1985-04-01T00:00:00.000Z",
    )
    assert (await client.post(f"{API}/update-user", json={"age": 42})).status_code == 200
    stored = await auth.store.find_user_by_email("t@example.com")
    assert stored is not None and stored["age"] == 42
    bad_session = await client.post(f"{API}/update-session", json={"device": 7})
    assert bad_session.json() == {
        "message": "[body.device] Invalid input: expected string, received number",
        "code": "VALIDATION_ERROR",
    }
    assert (await client.post(f"{API}/update-session", json={"device": "laptop"})).json()["session"][
        "device"
    ] == "laptop"

"""update-session and verify-password (protocol §1.14, §1.21)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ORIGIN, sign_up

pytestmark = pytest.mark.anyio


async def test_update_session_without_additional_fields(client: httpx.AsyncClient) -> None:
    anonymous = await client.post("/api/auth/update-session", json={"foo": 1})
    assert anonymous.status_code == 401
    await sign_up(client)
    r = await client.post("/api/auth/update-session", json={"foo": 1}, headers=ORIGIN)
    assert r.status_code == 400
    assert r.json() == {"message": "No fields to update"}


async def test_verify_password(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/auth/verify-password", json={"password": "x"})).status_code == 401
    await sign_up(client)
    ok = await client.post("/api/auth/verify-password", json={"password": "password123"}, headers=ORIGIN)
    assert ok.status_code == 200 and ok.json() == {"status": True}
    bad = await client.post("/api/auth/verify-password", json={"password": "wrong-one"}, headers=ORIGIN)
    assert bad.status_code == 400
    assert bad.json() == {"message": "Invalid password", "code": "INVALID_PASSWORD"}

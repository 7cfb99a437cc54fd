"""The audit trail: an event per auth action, to logs, the auth_event table and a callback; never a secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from fastapi_betterauth import AuditTrail, AuthEvent, FileOutboxSender, admin, bearer
from tests.conftest import ORIGIN

pytestmark = pytest.mark.anyio
API = "/api/auth"
PASSWORD = "password123"


async def world(
    make_client: Callable[..., Any], tmp_path: Any, callback: Any = None
) -> tuple[Any, Any, list[AuthEvent]]:
    seen: list[AuthEvent] = []

    async def collect(event: AuthEvent) -> None:
        seen.append(event)

    client, auth = await make_client(
        plugins=[bearer(), admin()],
        auth_options={
            "audit": AuditTrail(store=True, callback=callback or collect),
            "email_sender": FileOutboxSender(tmp_path / "mail.jsonl"),
        },
        user={"delete_user": {"enabled": True}},
    )
    client.headers.update(ORIGIN)
    return client, auth, seen


async def test_every_flow_records_its_event_without_secrets(
    make_client: Callable[..., Any], tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fastapi_betterauth.audit")
    client, auth, seen = await world(make_client, tmp_path)
    secrets: list[str] = [PASSWORD, "wrong-password", "new-password-1"]
    up = await client.post(f"{API}/sign-up/email", json={"email": "a@example.com", "password": PASSWORD, "name": "A"})
    alice = up.json()["user"]["id"]
    secrets += [up.json()["token"], up.headers["set-auth-token"]]
    await client.post(f"{API}/sign-in/email", json={"email": "a@example.com", "password": "wrong-password"})
    await client.post(f"{API}/sign-in/email", json={"email": "ghost@example.com", "password": "wrong-password"})
    inn = await client.post(f"{API}/sign-in/email", json={"email": "a@example.com", "password": PASSWORD})
    secrets.append(inn.json()["token"])
    changed = await client.post(
        f"{API}/change-password",
        json={"currentPassword": PASSWORD, "newPassword": "new-password-1", "revokeOtherSessions": True},
    )
    secrets.append(changed.json()["token"])
    await client.post(f"{API}/request-password-reset", json={"email": "a@example.com"})
    await auth.mailer.flush()
    reset_token = json.loads((tmp_path / "mail.jsonl").read_text().splitlines()[-1])["token"]
    secrets.append(reset_token)
    await client.post(f"{API}/reset-password", json={"newPassword": PASSWORD, "token": reset_token})
    await auth.store.update_user(alice, {"role": "admin"})
    boss = await client.post(f"{API}/sign-up/email", json={"email": "b@example.com", "password": PASSWORD, "name": "B"})
    bob = boss.json()["user"]["id"]
    client.cookies.clear()
    admin_headers = {"Authorization": f"Bearer {changed.json()['token']}"}
    await client.post(f"{API}/admin/set-role", json={"userId": bob, "role": "user"}, headers=admin_headers)
    await client.post(f"{API}/admin/ban-user", json={"userId": bob}, headers=admin_headers)
    banned = await client.post(f"{API}/sign-in/email", json={"email": "b@example.com", "password": PASSWORD})
    assert banned.status_code == 403
    await client.post(f"{API}/admin/unban-user", json={"userId": bob}, headers=admin_headers)
    await client.post(f"{API}/admin/remove-user", json={"userId": bob}, headers=admin_headers)
    await client.post(f"{API}/sign-out", json={}, headers=admin_headers)
    await auth.audit.flush()

    kinds = [(e.type, e.subject_id, e.reason) for e in seen]
    assert ("sign_up", alice, None) in kinds
    assert ("sign_in_failed", alice, "invalid_credentials") in kinds
    assert ("sign_in_failed", None, "invalid_credentials") in kinds
    assert ("sign_in", alice, None) in kinds
    assert ("password_changed", alice, "sessions_revoked") in kinds
    assert ("password_reset", alice, None) in kinds
    assert ("role_changed", bob, "user") in kinds
    assert ("user_banned", bob, None) in kinds
    assert ("sign_in_failed", bob, "banned_user") in kinds
    assert ("user_unbanned", bob, None) in kinds
    assert ("user_deleted", bob, None) in kinds
    assert ("sign_out", alice, None) in kinds
    assert all(e.actor_id == alice for e in seen if e.type in ("role_changed", "user_banned", "user_deleted"))
    # The table holds the same events, and nothing anywhere holds a secret.
    stored = await auth.adapter.find_many("auth_event")
    assert len(stored) == len(seen)
    everything = json.dumps([e.model_dump(mode="json") for e in seen]) + repr(stored) + caplog.text
    for secret in secrets:
        assert secret not in everything
        assert secret.split(".")[0] not in everything
    assert sum(1 for r in caplog.records if r.name == "fastapi_betterauth.audit") >= len(seen)


async def test_list_auth_events_filters_paginates_and_needs_permission(
    make_client: Callable[..., Any], tmp_path: Any
) -> None:
    client, auth, _ = await world(make_client, tmp_path)
    up = await client.post(f"{API}/sign-up/email", json={"email": "a@example.com", "password": PASSWORD, "name": "A"})
    alice = up.json()["user"]["id"]
    bearer_header = {"Authorization": f"Bearer {up.headers['set-auth-token']}"}
    client.cookies.clear()
    for _ in range(3):
        await client.post(f"{API}/sign-in/email", json={"email": "a@example.com", "password": "nope-nope"})
    await auth.audit.flush()
    refused = await client.get(f"{API}/admin/list-auth-events", headers=bearer_header)
    assert refused.status_code == 403
    assert (await client.get(f"{API}/admin/list-auth-events")).status_code == 401
    await auth.store.update_user(alice, {"role": "admin"})
    page = (
        await client.get(
            f"{API}/admin/list-auth-events", params={"type": "sign_in_failed", "limit": "2"}, headers=bearer_header
        )
    ).json()
    assert page["total"] == 3 and len(page["events"]) == 2
    assert {e["type"] for e in page["events"]} == {"sign_in_failed"} and page["events"][0]["subjectId"] == alice
    everything = (
        await client.get(f"{API}/admin/list-auth-events", params={"subjectId": alice}, headers=bearer_header)
    ).json()
    assert everything["total"] == 4 and everything["events"][-1]["type"] == "sign_up"  # newest first


async def test_a_failing_callback_never_breaks_the_request(make_client: Callable[..., Any], tmp_path: Any) -> None:
    def explode(event: AuthEvent) -> None:
        raise RuntimeError("sink down")

    client, auth, _ = await world(make_client, tmp_path, callback=explode)
    up = await client.post(f"{API}/sign-up/email", json={"email": "a@example.com", "password": PASSWORD, "name": "A"})
    assert up.status_code == 200
    await auth.audit.flush()


async def test_email_session_and_impersonation_events(make_client: Callable[..., Any], tmp_path: Any) -> None:
    from urllib.parse import urlsplit

    client, auth, seen = await world(make_client, tmp_path)
    up = await client.post(f"{API}/sign-up/email", json={"email": "a@example.com", "password": PASSWORD, "name": "A"})
    alice = up.json()["user"]["id"]
    await client.post(f"{API}/send-verification-email", json={"email": "a@example.com"})
    await auth.mailer.flush()
    link = json.loads((tmp_path / "mail.jsonl").read_text().splitlines()[-1])["url"]
    parts = urlsplit(link)
    await client.get(f"{parts.path}?{parts.query}")
    await client.post(f"{API}/revoke-other-sessions", json={})
    other = await client.post(
        f"{API}/sign-up/email", json={"email": "b@example.com", "password": PASSWORD, "name": "B"}
    )
    bob = other.json()["user"]["id"]
    client.cookies.clear()
    await auth.store.update_user(alice, {"role": "admin"})
    await client.post(f"{API}/sign-in/email", json={"email": "a@example.com", "password": PASSWORD})
    await client.post(f"{API}/admin/impersonate-user", json={"userId": bob})
    await client.post(f"{API}/admin/stop-impersonating", json={})
    await auth.audit.flush()
    kinds = {(e.type, e.subject_id, e.actor_id) for e in seen}
    assert ("email_verified", alice, alice) in kinds
    assert ("session_revoked", alice, alice) in kinds
    assert ("impersonation_started", bob, alice) in kinds
    assert ("impersonation_stopped", bob, alice) in kinds

"""The opt-in password policy and its ready complexity rule, wherever a password is chosen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastapi_betterauth import password_complexity
from tests.conftest import ORIGIN

from .conftest import API, PASSWORD

pytestmark = pytest.mark.anyio
POLICY = {"password_policy": password_complexity()}


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("alllowercase1", ["an uppercase letter"]),
        ("ALLUPPERCASE1", ["a lowercase letter"]),
        ("NoDigitsHere", ["a digit"]),
        ("Sh0rt", ["at least 8 characters"]),
        ("abc", ["at least 8 characters", "an uppercase letter", "a digit"]),
        ("GoodPassw0rd", []),
    ],
)
def test_complexity_rule_lists_what_is_missing(password: str, missing: list[str]) -> None:
    assert list(password_complexity()(password)) == missing


@given(st.text(max_size=64))
def test_complexity_rule_accepts_exactly_the_complete_passwords(password: str) -> None:
    missing = password_complexity()(password)
    complete = (
        len(password) >= 8
        and any(c.isupper() for c in password)
        and any(c.islower() for c in password)
        and any(c.isdigit() for c in password)
    )
    assert (not missing) == complete


async def test_sign_up_refuses_a_weak_password_with_a_clear_message(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(auth_options=POLICY)
    response = await client.post(
        f"{API}/sign-up/email", json={"email": "a@example.com", "password": "password123", "name": "A"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "Password is too weak: it needs an uppercase letter",
        "code": "PASSWORD_TOO_WEAK",
    }
    assert await auth.store.find_user_by_email("a@example.com") is None
    too_short = await client.post(
        f"{API}/sign-up/email", json={"email": "a@example.com", "password": "Ab1", "name": "A"}
    )
    assert too_short.json()["code"] == "PASSWORD_TOO_SHORT"  # Better Auth's own limits come first


async def test_change_password_applies_the_policy_but_sign_in_does_not(make_client: Callable[..., Any]) -> None:
    client, auth = await make_client(auth_options=POLICY)
    # A user whose password predates the policy can still sign in with it.
    legacy = await auth.store.create_user({"name": "B", "email": "b@example.com"})
    await auth.store.create_account(
        {
            "userId": legacy["id"],
            "accountId": legacy["id"],
            "providerId": "credential",
            "password": await auth.context.hashing.hash(PASSWORD),
        }
    )
    signed_in = await client.post(f"{API}/sign-in/email", json={"email": "b@example.com", "password": PASSWORD})
    assert signed_in.status_code == 200
    weak = await client.post(
        f"{API}/change-password", json={"currentPassword": PASSWORD, "newPassword": "weakpassword"}, headers=ORIGIN
    )
    assert (weak.status_code, weak.json()["code"]) == (400, "PASSWORD_TOO_WEAK")
    assert weak.json()["message"] == "Password is too weak: it needs an uppercase letter, a digit"
    strong = await client.post(
        f"{API}/change-password", json={"currentPassword": PASSWORD, "newPassword": "Str0nger!x"}, headers=ORIGIN
    )
    assert strong.status_code == 200

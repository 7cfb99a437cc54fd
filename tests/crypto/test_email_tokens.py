"""Email verification tokens: byte-identical to npm better-auth 1.7.24 and robust against any input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastapi_betterauth.crypto.email_tokens import (
    EmailTokenError,
    EmailTokenExpiredError,
    create_email_token,
    verify_email_token,
)

VECTORS = json.loads((Path(__file__).parents[1] / "compat" / "vectors.json").read_text())["email_verification_jwt"]
SECRET = "test-secret-0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("vector", VECTORS, ids=[v["kind"] for v in VECTORS])
def test_signing_matches_better_auth_byte_for_byte(vector: dict[str, Any]) -> None:
    args = vector["args"]
    token = create_email_token(
        vector["secret"],
        args["email"],
        update_to=args["updateTo"],
        expires_in=args["expiresIn"],
        extra=args["extraPayload"],
        now=vector["now_ms"] // 1000,
    )
    assert token == vector["token"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["kind"] for v in VECTORS])
def test_better_auth_tokens_verify_here(vector: dict[str, Any]) -> None:
    now = vector["now_ms"] / 1000 + 1
    assert verify_email_token(vector["token"], [vector["secret"]], now=now) == vector["payload"]
    with pytest.raises(EmailTokenError):
        verify_email_token(vector["token"], ["wrong-secret-0123456789abcdef0123456"], now=now)
    with pytest.raises(EmailTokenExpiredError):
        verify_email_token(vector["token"], [vector["secret"]], now=vector["payload"]["exp"] + 1)


def test_previous_secrets_still_verify() -> None:
    token = create_email_token("old-secret-0123456789abcdef0123456789", "a@example.com", extra={"userId": "u"})
    claims = verify_email_token(token, [SECRET, "old-secret-0123456789abcdef0123456789"])
    assert claims["email"] == "a@example.com"


@pytest.mark.parametrize(
    "forged",
    [
        jwt.encode({"email": "a@example.com", "exp": 4102444800}, "", algorithm="none"),
        jwt.encode({"email": "a@example.com", "exp": 4102444800}, SECRET.encode() * 2, algorithm="HS512"),
        jwt.encode({"email": "a@example.com"}, SECRET.encode(), algorithm="HS256"),
        jwt.encode({"email": 42, "exp": 4102444800}, SECRET.encode(), algorithm="HS256"),
        jwt.encode({"email": "a@example.com", "userId": ["x"], "exp": 4102444800}, SECRET.encode(), algorithm="HS256"),
        "eyJhbGciOiJIUzI1NiJ9.WyJub3QiXQ.x",
    ],
    ids=["alg-none", "hs512", "no-exp", "email-not-string", "user-id-not-string", "array-payload"],
)
def test_forged_or_malformed_tokens_are_refused(forged: str) -> None:
    with pytest.raises(EmailTokenError):
        verify_email_token(forged, [SECRET])


@given(st.text(max_size=300))
def test_any_text_raises_only_the_documented_error(token: str) -> None:
    try:
        verify_email_token(token, [SECRET])
    except EmailTokenError:
        pass


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=3))
def test_any_segments_raise_only_the_documented_error(raw: bytes, dots: int) -> None:
    import base64

    segment = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    try:
        verify_email_token(".".join([segment] * (dots + 1)), [SECRET])
    except EmailTokenError:
        pass


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=7))
def test_any_single_character_change_is_refused(position: int, delta: int) -> None:
    token = create_email_token(SECRET, "a@example.com", extra={"userId": "u"})
    index = position % len(token)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    replacement = (
        alphabet[(alphabet.index(token[index]) + delta + 1) % len(alphabet)] if token[index] in alphabet else "A"
    )
    tampered = token[:index] + replacement + token[index + 1 :]
    if tampered == token:
        return
    try:
        claims = verify_email_token(tampered, [SECRET])
    except EmailTokenError:
        return
    # Only a change in the unused low bits of the last base64url character can leave the bytes intact.
    assert index == len(token) - 1 and claims["email"] == "a@example.com"

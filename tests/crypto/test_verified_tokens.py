"""``VerifiedTokens``: a token verified once is answered from memory, but only under the terms it was verified with.

A cache in front of signature checks is a security boundary: these tests try to get something out of it that
``decode_jwt`` would refuse (an expired, not-yet-valid, forged or re-keyed token, another issuer or audience).
"""

import time
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_betterauth.crypto import jwt as jwt_module
from fastapi_betterauth.crypto.jwt import (
    ExpiredJWTError,
    JWTError,
    VerifiedTokens,
    encode_jwt,
    generate_key_pair,
    key_from_jwk,
)

ISSUER = "https://auth.example.com"


@pytest.fixture
def keys() -> tuple[Any, Any]:
    private, public = generate_key_pair("EdDSA")
    return key_from_jwk(private, "EdDSA"), key_from_jwk(public, "EdDSA")


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every real verification (``decode_jwt``) the cache lets through."""
    seen: list[str] = []
    real = jwt_module.decode_jwt

    def counting(token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt_module, "decode_jwt", counting)
    yield seen


def _token(private: Any, **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": "u1", "iss": ISSUER, "aud": ISSUER, "iat": now, "exp": now + 60, **claims}
    return encode_jwt(body, private, "EdDSA", headers={"kid": "k1"})


def _decode(cache: VerifiedTokens, token: str, key: Any, **terms: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"issuer": ISSUER, "audience": ISSUER, "leeway": 0, "require": ("exp", "sub")}
    return cache.decode(token, key, ("EdDSA",), **{**options, **terms})


def test_a_token_is_verified_once_then_answered_from_memory(keys: tuple[Any, Any], decodes: list[str]) -> None:
    private, public = keys
    cache = VerifiedTokens()
    token = _token(private)
    first = _decode(cache, token, public)
    first["sub"] = "someone else"  # what a caller does with its claims does not reach the cache
    second = _decode(cache, token, public)
    assert second["sub"] == "u1"
    assert decodes == [token]


def test_an_expired_token_is_refused_even_when_cached(keys: tuple[Any, Any]) -> None:
    private, public = keys
    cache = VerifiedTokens()
    with time_machine.travel(time.time(), tick=False) as traveller:
        token = _token(private)
        _decode(cache, token, public)
        traveller.shift(61)
        with pytest.raises(ExpiredJWTError):
            _decode(cache, token, public)


def test_a_not_yet_valid_token_is_not_served_before_its_nbf(keys: tuple[Any, Any]) -> None:
    private, public = keys
    cache = VerifiedTokens()
    with time_machine.travel(time.time(), tick=False) as traveller:
        token = _token(private, nbf=int(time.time()) + 30)
        traveller.shift(31)
        _decode(cache, token, public)  # valid now, so cached
        traveller.shift(-31)  # the clock stepped back: nbf holds again
        with pytest.raises(JWTError):
            _decode(cache, token, public)


def test_another_key_issuer_or_audience_verifies_again(keys: tuple[Any, Any], decodes: list[str]) -> None:
    private, public = keys
    _, other_public = generate_key_pair("EdDSA")
    cache = VerifiedTokens()
    token = _token(private)
    _decode(cache, token, public)
    with pytest.raises(JWTError):  # a rotated key set: new key objects, the old entry is not used
        _decode(cache, token, key_from_jwk(other_public, "EdDSA"))
    with pytest.raises(JWTError):
        _decode(cache, token, public, issuer="https://other.example.com")
    with pytest.raises(JWTError):
        _decode(cache, token, public, audience="https://other.example.com")
    assert len(decodes) == 4


def test_a_forged_token_never_comes_from_the_cache(keys: tuple[Any, Any], decodes: list[str]) -> None:
    private, public = keys
    cache = VerifiedTokens()
    token = _token(private)
    _decode(cache, token, public)
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(JWTError):
        _decode(cache, forged, public)
    assert decodes == [token, forged]


def test_the_cache_is_bounded(keys: tuple[Any, Any], decodes: list[str]) -> None:
    private, public = keys
    cache = VerifiedTokens(size=2)
    tokens = [_token(private, n=n) for n in range(3)]
    for token in tokens:
        _decode(cache, token, public)
    _decode(cache, tokens[0], public)  # the least recently used one was dropped
    assert decodes == [*tokens, tokens[0]]


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", max_size=200))
def test_anything_that_is_not_a_verified_token_is_refused(junk: str) -> None:
    _, public = generate_key_pair("EdDSA")
    cache = VerifiedTokens()
    with pytest.raises(JWTError):
        _decode(cache, junk, key_from_jwk(public, "EdDSA"))

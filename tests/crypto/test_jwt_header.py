"""``unverified_header``: the hand-written header reader on the JWT hot path agrees with PyJWT's and never fails
with anything but ``JWTError``, whatever the input."""

import base64
import json
from typing import Any

import jwt as pyjwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_betterauth.crypto.jwt import JWTError, unverified_header


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300)
@given(st.dictionaries(st.text(max_size=10), json_values, max_size=5), st.binary(max_size=40), st.binary(max_size=40))
def test_agrees_with_pyjwt_on_well_formed_tokens(header: dict[str, Any], payload: bytes, signature: bytes) -> None:
    token = ".".join((b64(json.dumps(header).encode()), b64(payload), b64(signature)))
    assert unverified_header(token) == header
    try:
        assert pyjwt.get_unverified_header(token) == header
    except pyjwt.DecodeError:
        pass  # PyJWT also checks the payload and signature segments; the header is what we read


@settings(max_examples=500)
@given(st.text(max_size=200))
def test_any_text_is_a_header_or_a_jwt_error(token: str) -> None:
    try:
        header = unverified_header(token)
    except JWTError:
        return
    assert isinstance(header, dict)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!!.e30.x",  # not base64url
        b64(b"[1,2]") + ".e30.x",  # not an object
        b64(b"{") + ".e30.x",  # not JSON
        b64(b'{"alg":"none"}') + "=.e30.x",  # padding is not base64url
        "e" * 16384 + ".e30.x",  # oversized
        b64(b"\xff\xfe") + ".e30.x",  # not UTF-8
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(JWTError):
        unverified_header(token)

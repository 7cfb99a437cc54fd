from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fastapi_betterauth.crypto.signing import (
    encode_uri_component,
    sign_cookie_value,
    sign_value,
    unsign_cookie_value,
    unsign_value,
)
from fastapi_betterauth.errors import InvalidSignatureError

SECRET = "test-secret-0123456789abcdef0123456789abcdef"


def test_known_answers() -> None:
    # design.md convention 6, and protocol §3.3 (an OBSERVED Better Auth cookie).
    assert sign_cookie_value("tok123", "secret") == "tok123.TiNPp%2Fr8rtYx09CewYaR%2Bs%2Bz%2B3z1vZmWsnLtV8YhTzU%3D"
    assert (
        sign_cookie_value("fPCeH9ckxwLLlTouztnL5CXkOXljwg0y", SECRET)
        == "fPCeH9ckxwLLlTouztnL5CXkOXljwg0y.wlpOMT5VUkozdOL3k9X4k6RAlhmAXF9FeLumNaiEy1E%3D"
    )


def test_encode_uri_component_matches_javascript() -> None:
    assert encode_uri_component("a b/+=?&~*'()!") == "a%20b%2F%2B%3D%3F%26~*'()!"


def test_accepts_encoded_and_raw_forms() -> None:
    raw = sign_value("tok", SECRET)
    assert unsign_cookie_value(raw, [SECRET]) == "tok"
    assert unsign_cookie_value(encode_uri_component(raw), [SECRET]) == "tok"


def test_previous_secret_still_verifies() -> None:
    signed = sign_value("tok", "old-secret")
    assert unsign_value(signed, ["new-secret", "old-secret"]) == "tok"
    with pytest.raises(InvalidSignatureError):
        unsign_value(signed, ["new-secret"])


@pytest.mark.parametrize("bad", ["", "tok", "tok.", "tok.short=", ".", "tok." + "A" * 44, "%zz", "tok.%"])
def test_malformed_values_are_rejected(bad: str) -> None:
    with pytest.raises((InvalidSignatureError, UnicodeDecodeError, ValueError)):
        unsign_cookie_value(bad, [SECRET])


@given(st.text())
def test_roundtrip(value: str) -> None:
    assert unsign_value(sign_value(value, SECRET), [SECRET]) == value
    assert unsign_cookie_value(sign_cookie_value(value, SECRET), [SECRET]) == value


@given(st.text(min_size=1, max_size=40), st.data())
def test_any_single_character_change_is_rejected(value: str, data: st.DataObject) -> None:
    signed = sign_value(value, SECRET)
    index = data.draw(st.integers(0, len(signed) - 1))
    replacement = data.draw(st.characters(codec="ascii"))
    assume(replacement != signed[index])
    tampered = signed[:index] + replacement + signed[index + 1 :]
    try:
        result = unsign_value(tampered, [SECRET])
    except InvalidSignatureError:
        return
    # A change inside the value may move the last "." only if it still verifies the same value,
    # which HMAC makes impossible: any accepted result would be a forgery.
    pytest.fail(f"tampered value accepted: {tampered!r} -> {result!r}")


@given(st.text(max_size=60))
def test_unsign_never_raises_anything_but_documented_errors(garbage: str) -> None:
    try:
        unsign_cookie_value(garbage, [SECRET])
    except (InvalidSignatureError, UnicodeDecodeError, ValueError):
        pass


# Percent-escapes, near-misses of the three the fast path replaces, and the characters around them.
_escape_soup = st.lists(
    st.sampled_from(["%3D", "%2B", "%2F", "%3d", "%2b", "%25", "%", "%2", "%FF", "%C3%A9", "3D", "2B", "=", "a", "."]),
    max_size=12,
).map("".join)


@given(_escape_soup)
def test_cookie_percent_decoding_is_decode_uri_component(raw: str) -> None:
    # The fast path for the escapes encodeURIComponent puts in a signature must decode exactly as unquote.
    from urllib.parse import unquote

    from fastapi_betterauth.crypto.signing import _percent_decoded

    try:
        expected = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        with pytest.raises(UnicodeDecodeError):
            _percent_decoded(raw)
        return
    assert _percent_decoded(raw) == expected

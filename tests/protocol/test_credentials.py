"""The one credential reader: Authorization and session cookies, in issuing and resource-server modes."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastapi_betterauth.crypto.signing import sign_cookie_value, sign_value
from fastapi_betterauth.protocol.credentials import (
    CredentialReader,
    SessionCredential,
    authorization_bearer,
    bearer_jwt,
    bearer_session,
)

SECRET = "test-secret-0123456789abcdef0123456789abcdef"
OLD = "old-secret-0123456789abcdef0123456789abcdef"
READER = CredentialReader(SECRET, (SECRET, OLD), accept_bearer=True)
COOKIE = "better-auth.session_token"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        ("Bearer ", None),
        ("Basic abc", None),
        ("Bearerabc", None),
        ("", None),
    ],
)
def test_authorization_bearer(header: str, expected: str | None) -> None:
    assert authorization_bearer({"authorization": header}) == expected


def test_bearer_jwt_takes_only_jwt_shapes() -> None:
    assert bearer_jwt({"authorization": "Bearer a.b.c"}) == "a.b.c"
    assert bearer_jwt({"authorization": "Bearer token.signature="}) is None
    assert bearer_jwt({}) is None


@pytest.mark.parametrize(
    "form",
    [lambda t: sign_value(t, SECRET), lambda t: quote(sign_value(t, SECRET), safe=""), lambda t: sign_value(t, OLD)],
    ids=["signed", "url-encoded", "previous-secret"],
)
def test_signed_bearer_session_tokens(form: object) -> None:
    value = form("tok123")  # type: ignore[operator]
    found = bearer_session({"authorization": f"Bearer {value}"}, secret=SECRET, secrets=(SECRET, OLD))
    assert found is not None and found.token == "tok123" and found.via == "bearer"


def test_raw_bearer_tokens_unless_signatures_are_required() -> None:
    raw = {"authorization": "Bearer tok123"}
    assert bearer_session(raw, secret=SECRET, secrets=(SECRET,)) == SessionCredential(
        "tok123", sign_value("tok123", SECRET), "bearer"
    )
    assert bearer_session(raw, secret=SECRET, secrets=(SECRET,), require_signature=True) is None


def test_a_valid_bearer_token_wins_over_the_cookie_as_in_better_auth() -> None:
    headers = {
        "cookie": f"{COOKIE}={sign_cookie_value('from-cookie', SECRET)}",
        "authorization": f"Bearer {sign_value('from-bearer', SECRET)}",
    }
    found = READER.session(headers, cookie_name=COOKIE)
    assert found is not None and (found.token, found.via) == ("from-bearer", "bearer")
    headers["authorization"] = "Bearer forged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    found = READER.session(headers, cookie_name=COOKIE)
    assert found is not None and (found.token, found.via) == ("from-cookie", "cookie")
    cookies_only = CredentialReader(SECRET, (SECRET,))
    headers["authorization"] = f"Bearer {sign_value('from-bearer', SECRET)}"
    assert cookies_only.session(headers, cookie_name=COOKIE).via == "cookie"  # type: ignore[union-attr]


def test_other_cookie_names_and_forgeries_are_not_credentials() -> None:
    signed = sign_cookie_value("tok", SECRET)
    assert READER.session({"cookie": f"__Secure-{COOKIE}={signed}"}, cookie_name=COOKIE) is None
    assert (
        READER.session({"cookie": f"{COOKIE}={sign_cookie_value('tok', 'another-secret')}"}, cookie_name=COOKIE) is None
    )
    assert READER.session({"cookie": f"{COOKIE}=tok"}, cookie_name=COOKIE) is None


@given(token=st.text(alphabet=st.characters(blacklist_characters=".%", blacklist_categories=("Cs",)), min_size=1))
def test_any_token_round_trips_through_each_bearer_form(token: str) -> None:
    token = token.strip() or "x"
    for value in (token, sign_value(token, SECRET), quote(sign_value(token, SECRET), safe="")):
        found = bearer_session({"authorization": f"Bearer {value}"}, secret=SECRET, secrets=(SECRET,))
        assert found is not None and found.token == token


@given(header=st.text(), cookie=st.text())
def test_any_headers_give_a_credential_or_none_never_an_error(header: str, cookie: str) -> None:
    found = READER.session({"authorization": header, "cookie": cookie}, cookie_name=COOKIE)
    assert found is None or isinstance(found.token, str)

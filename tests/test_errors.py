from __future__ import annotations

from fastapi_betterauth import AuthError, ErrorCode
from fastapi_betterauth.errors import ERROR_MESSAGES


def test_every_code_has_a_message_and_values_are_verbatim() -> None:
    for code in ErrorCode:
        assert code.value == code.name
        assert ERROR_MESSAGES[code]


def test_error_bodies() -> None:
    assert AuthError(401, ErrorCode.UNAUTHORIZED).body() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}
    assert AuthError(400, None, "No fields to update").body() == {"message": "No fields to update"}
    assert AuthError(401).body() is None

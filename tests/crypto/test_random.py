from __future__ import annotations

import re

from fastapi_betterauth.crypto.random import LOWER_ALPHANUMERIC, generate_id, generate_token


def test_ids_and_tokens_have_better_auth_format() -> None:
    for value in (generate_id(), generate_token()):
        assert re.fullmatch(r"[A-Za-z0-9]{32}", value)
    assert re.fullmatch(r"[0-9a-z]{24}", generate_id(24, LOWER_ALPHANUMERIC))


def test_values_do_not_repeat_and_use_the_whole_alphabet() -> None:
    values = {generate_id() for _ in range(2000)}
    assert len(values) == 2000
    seen = set("".join(values))
    assert len(seen) == 62

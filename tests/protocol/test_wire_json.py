"""``wire.dumps`` writes what ``JSON.stringify`` writes, even for text UTF-8 cannot hold."""

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_betterauth.protocol import wire
from fastapi_betterauth.protocol.wire import dumps

any_text = st.text(st.characters(exclude_categories=()))  # surrogates included
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


def test_a_lone_surrogate_is_escaped_not_a_500() -> None:
    # A hook may return text with an unpaired surrogate (a parsed "\ud800" escape): UTF-8 cannot encode it.
    assert dumps({"name": "a\ud800b", "\udfff": 1}) == b'{"name":"a\\ud800b","\\udfff":1}'


def test_other_text_stays_utf8_and_dates_are_iso() -> None:
    at = datetime(2026, 12, 2, 4, 5, 6, 789000, tzinfo=UTC)
    assert dumps({"n": "é\U0001f600", "at": at}) == '{"n":"é\U0001f600","at":"2026-12-02T04:05:06.789Z"}'.encode()


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_value_round_trips(value: Any) -> None:
    assert json.loads(dumps(value)) == value


finite_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text() | st.datetimes(timezones=st.just(UTC)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=16,
)


@settings(max_examples=300, deadline=None)
@given(finite_json_values)
def test_the_fast_encoder_writes_the_standard_encoders_bytes(value: Any) -> None:
    # orjson answers; the standard encoder (JSON.stringify's bytes, pinned above) is the reference.
    assert dumps(value) == wire._ENCODER.encode(value).encode()


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_keep_their_value(value: float) -> None:
    # Digits are the shortest round trip, as JSON.stringify's; small exponents are written as JavaScript
    # does (0.00001, 1e-7), unlike the standard encoder (1e-05). An integral float keeps its ".0".
    assert json.loads(dumps([value])) == [value]


def test_small_floats_are_written_as_javascript_does() -> None:
    assert dumps([0.00001, 1e-7, 0.1, 2.5]) == b"[0.00001,1e-7,0.1,2.5]"


def test_what_orjson_refuses_takes_the_standard_encoder() -> None:
    assert dumps({"n": 2**70, 1: "int key"}) == b'{"n":1180591620717411303424,"1":"int key"}'

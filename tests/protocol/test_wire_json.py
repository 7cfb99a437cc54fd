"""``wire.dumps`` writes what ``JSON.stringify`` writes, even for text UTF-8 cannot hold."""

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

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

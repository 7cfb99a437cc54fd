"""``to_iso`` is JavaScript's ``toISOString()`` for every date the server emits (each answer has several)."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from fastapi_betterauth._dates import parse_iso, to_iso

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.none() | offsets))
def test_to_iso_is_utc_with_milliseconds(value: datetime) -> None:
    text = to_iso(value)
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    assert text == utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    assert parse_iso(text) == utc.replace(microsecond=utc.microsecond - utc.microsecond % 1000)


def test_years_before_1000_have_four_digits_as_in_javascript() -> None:
    assert to_iso(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00.000Z"

"""Differential test: the SQL adapter (SQLite) answers every query as the memory reference does.

Hypothesis draws user rows and ``Where`` lists from small pools, so values collide often and every
operator, connector, mode and NULL case is exercised. One SQLite database serves all examples of a
test; its rows are deleted at the start of each example.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_betterauth.db.adapter import Row, SortBy, Where
from fastapi_betterauth.db.memory import MemoryAdapter
from fastapi_betterauth.db.sqlalchemy import SQLAlchemyAdapter

pytestmark = pytest.mark.anyio

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

BASE = datetime(2026, 11, 22, 9, 1, 23, 910000, tzinfo=UTC)
WORDS = [
    "",
    "a",
    "A",
    "alice",
    "Alice",
    "ALICE",
    "bob",
    "Bob",
    "a_b",
    "a%b",
    "x\\y",
    "Émile",
    "émile",
    "straße",
    "日本",
]
# PostgreSQL text cannot hold NUL, so no database stores it; everything else is fair game.
TEXT = st.sampled_from(WORDS) | st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=5)
DATES = st.sampled_from([BASE + timedelta(hours=h) for h in range(4)]) | st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond - d.microsecond % 1000))

FIELDS = {
    "id": "string",
    "name": "string",
    "email": "string",
    "image": "string",
    "emailVerified": "boolean",
    "createdAt": "date",
}
OPERATORS = {
    "string": ["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "starts_with", "ends_with"],
    "boolean": ["eq", "ne", "in", "not_in"],
    "date": ["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in"],
}


@st.composite
def user_rows(draw: st.DrawFn) -> list[Row]:
    emails = draw(st.lists(TEXT, max_size=8, unique=True))
    return [
        {
            "id": f"u{i}",
            "name": draw(TEXT),
            "email": email,
            "emailVerified": draw(st.booleans()),
            "image": draw(st.none() | TEXT),
            "createdAt": draw(DATES),
            "updatedAt": BASE,
        }
        for i, email in enumerate(emails)
    ]


def _value(kind: str, draw: st.DrawFn) -> Any:
    if kind == "string":
        return draw(st.none() | TEXT | st.sampled_from([f"u{i}" for i in range(8)]))
    if kind == "boolean":
        return draw(st.none() | st.booleans())
    return draw(st.none() | DATES)


@st.composite
def wheres(draw: st.DrawFn) -> Where:
    field = draw(st.sampled_from(sorted(FIELDS)))
    kind = FIELDS[field]
    operator = draw(st.sampled_from(OPERATORS[kind]))
    if operator in ("in", "not_in"):
        value: Any = [_value(kind, draw) for _ in range(draw(st.integers(0, 3)))]
    else:
        value = _value(kind, draw)
    return Where(
        field,
        value,
        operator,  # type: ignore[arg-type]
        connector=draw(st.sampled_from(["AND", "OR"])),
        mode=draw(st.sampled_from(["sensitive", "insensitive"])),
    )


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[SQLAlchemyAdapter]:
    adapter = SQLAlchemyAdapter(f"sqlite+aiosqlite:///{tmp_path / 'differential.db'}")
    await adapter.create_schema()
    yield adapter
    await adapter.close()


async def _load(sqlite: SQLAlchemyAdapter, rows: list[Row]) -> MemoryAdapter:
    await sqlite.delete("user", [])
    memory = MemoryAdapter()
    for row in rows:
        assert await memory.create("user", row) == await sqlite.create("user", row)
    return memory


def _by_id(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: str(r["id"]))


@SETTINGS
@given(rows=user_rows(), where=st.lists(wheres(), max_size=4))
async def test_find_many_and_count_agree(sqlite: SQLAlchemyAdapter, rows: list[Row], where: list[Where]) -> None:
    memory = await _load(sqlite, rows)
    expected = _by_id(await memory.find_many("user", where))
    assert _by_id(await sqlite.find_many("user", where)) == expected
    assert await sqlite.count("user", where) == len(expected)
    one = await sqlite.find_one("user", where)
    assert (one is None) == (not expected)
    assert one is None or one in expected


@SETTINGS
@given(rows=user_rows(), where=st.lists(wheres(), max_size=3), values=st.fixed_dictionaries({"image": TEXT}))
async def test_update_and_delete_agree(
    sqlite: SQLAlchemyAdapter, rows: list[Row], where: list[Where], values: Row
) -> None:
    memory = await _load(sqlite, rows)
    assert await sqlite.update_many("user", where, values) == await memory.update_many("user", where, values)
    assert _by_id(await sqlite.find_many("user")) == _by_id(await memory.find_many("user"))
    assert await sqlite.delete("user", where) == await memory.delete("user", where)
    assert _by_id(await sqlite.find_many("user")) == _by_id(await memory.find_many("user"))


@SETTINGS
@given(
    rows=user_rows(),
    where=st.lists(wheres(), max_size=2),
    field=st.sampled_from(sorted(FIELDS)),
    direction=st.sampled_from(["asc", "desc"]),
    limit=st.none() | st.integers(0, 9),
    offset=st.integers(0, 9),
)
async def test_sorted_pages_agree(
    sqlite: SQLAlchemyAdapter,
    rows: list[Row],
    where: list[Where],
    field: str,
    direction: Any,
    limit: int | None,
    offset: int,
) -> None:
    memory = await _load(sqlite, rows)
    sort_by = SortBy(field, direction)
    expected = await memory.find_many("user", where, sort_by=sort_by, limit=limit, offset=offset)
    actual = await sqlite.find_many("user", where, sort_by=sort_by, limit=limit, offset=offset)
    # Rows with equal sort keys may come in any order; the keys themselves must match exactly.
    assert [r[field] for r in actual] == [r[field] for r in expected]

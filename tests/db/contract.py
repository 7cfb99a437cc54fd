"""The adapter contract: written once, inherited by every adapter's test class.

``MemoryAdapter`` is the reference; ``SQLAlchemyAdapter`` on SQLite and PostgreSQL must behave the
same. Subclasses override the ``adapter`` fixture (a fresh, empty database with the core schema).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from fastapi_betterauth.db.adapter import Adapter, Row, SortBy, UniqueViolationError, Where
from fastapi_betterauth.db.schema import CORE_SCHEMA, RATE_LIMIT_TABLE, FieldSpec, TableSpec, merge_schema
from fastapi_betterauth.errors import ConfigurationError

NOW = datetime(2026, 11, 22, 9, 1, 23, 910000, tzinfo=UTC)
HOUR = timedelta(hours=1)


def user(uid: str, email: str | None = None, **fields: Any) -> Row:
    """A complete ``user`` row (Better Auth's field names)."""
    return {
        "id": uid,
        "name": uid,
        "email": email or f"{uid}@example.com",
        "emailVerified": False,
        "image": None,
        "createdAt": NOW,
        "updatedAt": NOW,
        **fields,
    }


def session(sid: str, user_id: str, **fields: Any) -> Row:
    """A complete ``session`` row."""
    return {
        "id": sid,
        "expiresAt": NOW + 24 * HOUR,
        "token": f"tok-{sid}",
        "createdAt": NOW,
        "updatedAt": NOW,
        "ipAddress": "",
        "userAgent": "",
        "userId": user_id,
        **fields,
    }


def account(aid: str, user_id: str, **fields: Any) -> Row:
    """A complete credential ``account`` row."""
    return {
        "id": aid,
        "accountId": user_id,
        "providerId": "credential",
        "userId": user_id,
        "password": "salt:hash",
        "createdAt": NOW,
        "updatedAt": NOW,
        **fields,
    }


def verification(vid: str, identifier: str = "reset-password:abc", **fields: Any) -> Row:
    """A complete ``verification`` row."""
    return {
        "id": vid,
        "identifier": identifier,
        "value": f"value-{vid}",
        "expiresAt": NOW + HOUR,
        "createdAt": NOW,
        "updatedAt": NOW,
        **fields,
    }


# Four users that every operator case below is evaluated against. Names mix case on purpose;
# sorting is only ever by dates or lower-case text, so the result does not depend on collation.
USERS = [
    user("u1", "alice@example.com", name="Alice", emailVerified=True, image="https://img/a.png", createdAt=NOW),
    user("u2", "bob@example.org", name="bob", emailVerified=False, image=None, createdAt=NOW + HOUR),
    user(
        "u3",
        "carol@example.com",
        name="Carol",
        emailVerified=False,
        image="https://img/c.jpg",
        createdAt=NOW + 2 * HOUR,
    ),
    user("u4", "alice2@example.net", name="ALICE", emailVerified=True, image=None, createdAt=NOW + 3 * HOUR),
]
ALL = ["u1", "u2", "u3", "u4"]
PLUS_TWO = timezone(timedelta(hours=2))

OPERATOR_CASES: list[tuple[str, list[Where], list[str]]] = [
    ("no-conditions", [], ALL),
    # eq / ne
    ("eq", [Where("name", "Alice")], ["u1"]),
    ("eq-is-case-sensitive", [Where("name", "alice")], []),
    ("eq-insensitive", [Where("name", "alice", mode="insensitive")], ["u1", "u4"]),
    ("eq-insensitive-upper-value", [Where("email", "ALICE@EXAMPLE.COM", mode="insensitive")], ["u1"]),
    ("eq-none-is-null", [Where("image", None)], ["u2", "u4"]),
    ("eq-bool-true", [Where("emailVerified", True)], ["u1", "u4"]),
    ("eq-bool-false", [Where("emailVerified", False)], ["u2", "u3"]),
    ("eq-bool-insensitive", [Where("emailVerified", True, mode="insensitive")], ["u1", "u4"]),
    ("eq-date", [Where("createdAt", NOW + HOUR)], ["u2"]),
    ("eq-date-other-offset", [Where("createdAt", (NOW + HOUR).astimezone(PLUS_TWO))], ["u2"]),
    ("eq-date-insensitive", [Where("createdAt", NOW, mode="insensitive")], ["u1"]),
    ("ne", [Where("name", "Alice", "ne")], ["u2", "u3", "u4"]),
    ("ne-insensitive", [Where("name", "alice", "ne", mode="insensitive")], ["u2", "u3"]),
    ("ne-none-is-not-null", [Where("image", None, "ne")], ["u1", "u3"]),
    ("ne-keeps-null-rows", [Where("image", "https://img/a.png", "ne")], ["u2", "u3", "u4"]),
    ("ne-bool", [Where("emailVerified", True, "ne")], ["u2", "u3"]),
    # ordering comparisons
    ("lt-date", [Where("createdAt", NOW + 2 * HOUR, "lt")], ["u1", "u2"]),
    ("lte-date", [Where("createdAt", NOW + 2 * HOUR, "lte")], ["u1", "u2", "u3"]),
    ("gt-date", [Where("createdAt", NOW + HOUR, "gt")], ["u3", "u4"]),
    ("gte-date", [Where("createdAt", NOW + HOUR, "gte")], ["u2", "u3", "u4"]),
    ("gt-date-other-offset", [Where("createdAt", (NOW + HOUR).astimezone(PLUS_TWO), "gt")], ["u3", "u4"]),
    ("gt-millisecond", [Where("createdAt", NOW + 3 * HOUR - timedelta(milliseconds=1), "gt")], ["u4"]),
    ("lt-string", [Where("email", "bob", "lt")], ["u1", "u4"]),
    ("gte-string", [Where("email", "bob@example.org", "gte")], ["u2", "u3"]),
    ("lt-insensitive", [Where("name", "b", "lt", mode="insensitive")], ["u1", "u4"]),
    ("lt-none-matches-nothing", [Where("createdAt", None, "lt")], []),
    ("gt-skips-null-rows", [Where("image", "a", "gt")], ["u1", "u3"]),
    # in / not_in
    ("in", [Where("name", ["Alice", "bob"], "in")], ["u1", "u2"]),
    ("in-insensitive", [Where("name", ["ALICE", "BOB"], "in", mode="insensitive")], ["u1", "u2", "u4"]),
    ("in-empty", [Where("name", [], "in")], []),
    ("in-none", [Where("image", [None], "in")], ["u2", "u4"]),
    ("in-value-or-none", [Where("image", ["https://img/a.png", None], "in")], ["u1", "u2", "u4"]),
    ("in-bool", [Where("emailVerified", [True], "in")], ["u1", "u4"]),
    ("in-dates", [Where("createdAt", [NOW, NOW + 3 * HOUR], "in")], ["u1", "u4"]),
    ("in-tuple", [Where("id", ("u2", "u3"), "in")], ["u2", "u3"]),
    ("not_in", [Where("name", ["Alice", "bob"], "not_in")], ["u3", "u4"]),
    ("not_in-empty", [Where("name", [], "not_in")], ALL),
    ("not_in-insensitive", [Where("name", ["alice"], "not_in", mode="insensitive")], ["u2", "u3"]),
    ("not_in-none", [Where("image", [None], "not_in")], ["u1", "u3"]),
    ("not_in-value-or-none", [Where("image", ["https://img/a.png", None], "not_in")], ["u3"]),
    ("not_in-keeps-null-rows", [Where("image", ["https://img/a.png"], "not_in")], ["u2", "u3", "u4"]),
    ("not_in-bool", [Where("emailVerified", [False], "not_in")], ["u1", "u4"]),
    # text matching
    ("contains", [Where("name", "lic", "contains")], ["u1"]),
    ("contains-insensitive", [Where("name", "LIC", "contains", mode="insensitive")], ["u1", "u4"]),
    ("contains-skips-null-rows", [Where("image", "img", "contains")], ["u1", "u3"]),
    ("contains-empty", [Where("image", "", "contains")], ["u1", "u3"]),
    ("contains-none", [Where("name", None, "contains")], []),
    ("starts_with", [Where("email", "alice", "starts_with")], ["u1", "u4"]),
    ("starts_with-case-sensitive", [Where("name", "A", "starts_with")], ["u1", "u4"]),
    ("starts_with-case-sensitive-lower", [Where("name", "a", "starts_with")], []),
    ("starts_with-insensitive", [Where("name", "a", "starts_with", mode="insensitive")], ["u1", "u4"]),
    ("starts_with-longer-than-value", [Where("name", "bobby", "starts_with")], []),
    ("ends_with", [Where("email", ".com", "ends_with")], ["u1", "u3"]),
    ("ends_with-insensitive", [Where("email", "EXAMPLE.COM", "ends_with", mode="insensitive")], ["u1", "u3"]),
    ("ends_with-case-sensitive", [Where("name", "CE", "ends_with")], ["u4"]),
    ("ends_with-longer-than-value", [Where("name", "xxbob", "ends_with")], []),
    # connectors
    ("and", [Where("emailVerified", True), Where("name", "alice", mode="insensitive")], ["u1", "u4"]),
    ("and-narrows", [Where("emailVerified", False), Where("email", ".com", "ends_with")], ["u3"]),
    ("or", [Where("name", "Alice", connector="OR"), Where("name", "bob", connector="OR")], ["u1", "u2"]),
    ("or-alone", [Where("name", "Carol", connector="OR")], ["u3"]),
    (
        "and-with-or-group",
        [
            Where("emailVerified", True),
            Where("email", ".com", "ends_with", connector="OR"),
            Where("email", ".net", "ends_with", connector="OR"),
        ],
        ["u1", "u4"],
    ),
    (
        "or-group-then-and",
        [
            Where("name", "bob", connector="OR"),
            Where("name", "Alice", connector="OR"),
            Where("emailVerified", False),
        ],
        ["u2"],
    ),
    ("and-contradiction", [Where("name", "Alice"), Where("name", "bob")], []),
]


async def seed_users(adapter: Adapter) -> None:
    for row in USERS:
        await adapter.create("user", row)


def ids(rows: list[Row]) -> list[str]:
    return sorted(str(r["id"]) for r in rows)


class AdapterContract:
    """Every adapter must pass these tests. Subclasses override ``adapter``."""

    @pytest.fixture
    def adapter(self) -> Adapter:
        raise NotImplementedError

    # -- create / find ---------------------------------------------------------------------

    @pytest.mark.anyio
    async def test_create_returns_the_stored_row(self, adapter: Adapter) -> None:
        row = user("u1", name="Alice", emailVerified=True, image="https://img/a.png")
        created = await adapter.create("user", row)
        assert created == row
        assert await adapter.find_one("user", [Where("id", "u1")]) == row

    @pytest.mark.anyio
    async def test_create_fills_omitted_optional_fields_with_none(self, adapter: Adapter) -> None:
        row = user("u1")
        del row["image"]
        created = await adapter.create("user", row)
        assert created["image"] is None
        assert set(created) == {"id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"}

    @pytest.mark.anyio
    async def test_fields_outside_the_schema_are_not_stored(self, adapter: Adapter) -> None:
        created = await adapter.create("user", {**user("u1"), "notAColumn": "x"})
        assert "notAColumn" not in created
        updated = await adapter.update("user", [Where("id", "u1")], {"name": "New", "notAColumn": "y"})
        assert updated is not None
        assert updated["name"] == "New"
        assert "notAColumn" not in updated
        found = await adapter.find_one("user", [Where("id", "u1")])
        assert found is not None
        assert "notAColumn" not in found

    @pytest.mark.anyio
    async def test_returned_rows_are_copies(self, adapter: Adapter) -> None:
        created = await adapter.create("user", user("u1"))
        created["name"] = "mutated"
        found = await adapter.find_one("user", [Where("id", "u1")])
        assert found is not None
        assert found["name"] == "u1"
        found["name"] = "mutated"
        [again] = await adapter.find_many("user")
        assert again["name"] == "u1"

    @pytest.mark.anyio
    async def test_find_one_returns_none_without_a_match(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        assert await adapter.find_one("user", [Where("id", "nope")]) is None

    @pytest.mark.anyio
    async def test_find_one_returns_one_of_several_matches(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        found = await adapter.find_one("user", [Where("emailVerified", True)])
        assert found is not None
        assert found["id"] in ("u1", "u4")

    @pytest.mark.anyio
    async def test_empty_table(self, adapter: Adapter) -> None:
        assert await adapter.find_many("user") == []
        assert await adapter.count("user") == 0
        assert await adapter.find_one("user", []) is None
        assert await adapter.update("user", [Where("id", "x")], {"name": "y"}) is None
        assert await adapter.update_many("user", [], {"name": "y"}) == 0
        assert await adapter.delete("user", [Where("id", "x")]) == 0
        assert await adapter.consume_one("verification", [Where("identifier", "x")]) is None

    @pytest.mark.anyio
    async def test_unknown_model_is_a_configuration_error(self, adapter: Adapter) -> None:
        with pytest.raises(ConfigurationError):
            await adapter.create("nope", {"id": "x"})
        with pytest.raises(ConfigurationError):
            await adapter.find_one("nope", [])
        with pytest.raises(ConfigurationError):
            await adapter.find_many("nope")
        with pytest.raises(ConfigurationError):
            await adapter.delete("nope", [])

    @pytest.mark.anyio
    async def test_unknown_field_in_where_is_a_configuration_error(self, adapter: Adapter) -> None:
        # A typo must not silently compare against NULL (Where("tokn", None) would match every row).
        await seed_users(adapter)
        with pytest.raises(ConfigurationError):
            await adapter.find_many("user", [Where("nme", None)])
        with pytest.raises(ConfigurationError):
            await adapter.find_one("user", [Where("nme", "x", connector="OR")])
        with pytest.raises(ConfigurationError):
            await adapter.count("user", [Where("nme", "x", "ne")])
        with pytest.raises(ConfigurationError):
            await adapter.delete("user", [Where("nme", None)])
        with pytest.raises(ConfigurationError):
            await adapter.update_many("user", [Where("nme", None)], {"name": "x"})
        with pytest.raises(ConfigurationError):
            await adapter.find_many("user", sort_by=SortBy("nme"))
        assert await adapter.count("user") == 4

    # -- operators and connectors ----------------------------------------------------------

    @pytest.mark.anyio
    @pytest.mark.parametrize(("where", "expected"), [c[1:] for c in OPERATOR_CASES], ids=[c[0] for c in OPERATOR_CASES])
    async def test_where(self, adapter: Adapter, where: list[Where], expected: list[str]) -> None:
        await seed_users(adapter)
        assert ids(await adapter.find_many("user", where)) == expected
        assert await adapter.count("user", where) == len(expected)
        one = await adapter.find_one("user", where)
        if expected:
            assert one is not None
            assert one["id"] in expected
        else:
            assert one is None

    @pytest.mark.anyio
    @pytest.mark.parametrize(("where", "expected"), [c[1:] for c in OPERATOR_CASES], ids=[c[0] for c in OPERATOR_CASES])
    async def test_where_in_update_and_delete(self, adapter: Adapter, where: list[Where], expected: list[str]) -> None:
        await seed_users(adapter)
        assert await adapter.update_many("user", where, {"updatedAt": NOW + 9 * HOUR}) == len(expected)
        changed = await adapter.find_many("user", [Where("updatedAt", NOW + 9 * HOUR)])
        assert ids(changed) == expected
        assert await adapter.delete("user", where) == len(expected)
        assert ids(await adapter.find_many("user")) == sorted(set(ALL) - set(expected))

    @pytest.mark.anyio
    @pytest.mark.parametrize(
        ("operator", "value", "expected"),
        [
            ("contains", "%", ["100%"]),
            ("contains", "_", ["a_b"]),
            ("contains", "\\", ["a\\b"]),
            ("starts_with", "a_", ["a_b"]),
            ("starts_with", "a%", []),
            ("ends_with", "_b", ["a_b"]),
            ("ends_with", "\\b", ["a\\b"]),
            ("contains", "x", ["axb"]),
            ("eq", "a_b", ["a_b"]),
        ],
    )
    async def test_text_operators_treat_like_wildcards_literally(
        self, adapter: Adapter, operator: Any, value: str, expected: list[str]
    ) -> None:
        for i, name in enumerate(["100%", "a_b", "a\\b", "axb", "aXb"]):
            await adapter.create("user", user(f"w{i}", name=name))
        found = await adapter.find_many("user", [Where("name", value, operator)])
        assert sorted(r["name"] for r in found) == expected

    @pytest.mark.anyio
    async def test_insensitive_mode_folds_non_ascii(self, adapter: Adapter) -> None:
        await adapter.create("user", user("u1", name="Émile Ørsted"))
        await adapter.create("user", user("u2", name="emile orsted"))
        assert ids(await adapter.find_many("user", [Where("name", "émile ørsted", mode="insensitive")])) == ["u1"]
        assert ids(await adapter.find_many("user", [Where("name", "ØR", "contains", mode="insensitive")])) == ["u1"]
        assert ids(await adapter.find_many("user", [Where("name", "éMILE", "starts_with", mode="insensitive")])) == [
            "u1"
        ]
        assert ids(await adapter.find_many("user", [Where("name", "émile ørsted")])) == []

    # -- sorting and pagination ------------------------------------------------------------

    @pytest.mark.anyio
    @pytest.mark.parametrize(
        ("sort_by", "limit", "offset", "expected"),
        [
            (SortBy("createdAt"), None, 0, ["u1", "u2", "u3", "u4"]),
            (SortBy("createdAt", "desc"), None, 0, ["u4", "u3", "u2", "u1"]),
            (SortBy("createdAt"), 2, 0, ["u1", "u2"]),
            (SortBy("createdAt"), 2, 1, ["u2", "u3"]),
            (SortBy("createdAt", "desc"), 1, 0, ["u4"]),
            (SortBy("createdAt", "desc"), 2, 2, ["u2", "u1"]),
            (SortBy("createdAt"), None, 3, ["u4"]),
            (SortBy("createdAt"), None, 4, []),
            (SortBy("createdAt"), 10, 2, ["u3", "u4"]),
            (SortBy("createdAt"), 0, 0, []),
            # "alice2@…" < "alice@…": '2' sorts before '@' byte-wise and in linguistic collations.
            (SortBy("email"), None, 0, ["u4", "u1", "u2", "u3"]),
            (SortBy("email", "desc"), 3, 0, ["u3", "u2", "u1"]),
        ],
        ids=lambda v: repr(v),
    )
    async def test_sort_limit_offset(
        self, adapter: Adapter, sort_by: SortBy, limit: int | None, offset: int, expected: list[str]
    ) -> None:
        # Insert out of order so insertion order cannot pass for sorting.
        for row in (USERS[2], USERS[0], USERS[3], USERS[1]):
            await adapter.create("user", row)
        rows = await adapter.find_many("user", sort_by=sort_by, limit=limit, offset=offset)
        assert [r["id"] for r in rows] == expected

    @pytest.mark.anyio
    async def test_limit_without_sort(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        first = await adapter.find_many("user", limit=3)
        assert len(first) == 3
        assert len(await adapter.find_many("user", limit=3, offset=2)) == 2
        assert len(await adapter.find_many("user", [Where("emailVerified", True)], limit=5)) == 2

    @pytest.mark.anyio
    async def test_sort_with_where_and_limit(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        rows = await adapter.find_many(
            "user", [Where("emailVerified", False)], sort_by=SortBy("createdAt", "desc"), limit=1
        )
        assert [r["id"] for r in rows] == ["u3"]

    @pytest.mark.anyio
    async def test_nulls_sort_last_ascending_and_first_descending(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        asc = [r["id"] for r in await adapter.find_many("user", sort_by=SortBy("image"))]
        assert asc[:2] == ["u1", "u3"]
        assert sorted(asc[2:]) == ["u2", "u4"]
        desc = [r["id"] for r in await adapter.find_many("user", sort_by=SortBy("image", "desc"))]
        assert sorted(desc[:2]) == ["u2", "u4"]
        assert desc[2:] == ["u3", "u1"]

    # -- count / update / delete -----------------------------------------------------------

    @pytest.mark.anyio
    async def test_count(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        assert await adapter.count("user") == 4
        assert await adapter.count("user", [Where("emailVerified", True)]) == 2
        assert await adapter.count("session") == 0

    @pytest.mark.anyio
    async def test_update_returns_the_updated_row(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        updated = await adapter.update(
            "user", [Where("id", "u2")], {"name": "Bobby", "image": "x", "updatedAt": NOW + HOUR}
        )
        assert updated == {**USERS[1], "name": "Bobby", "image": "x", "updatedAt": NOW + HOUR}
        assert await adapter.find_one("user", [Where("id", "u2")]) == updated
        # Other rows are untouched.
        assert await adapter.find_one("user", [Where("id", "u1")]) == USERS[0]

    @pytest.mark.anyio
    async def test_update_can_set_null(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        updated = await adapter.update("user", [Where("id", "u1")], {"image": None})
        assert updated is not None
        assert updated["image"] is None
        assert ids(await adapter.find_many("user", [Where("image", None)])) == ["u1", "u2", "u4"]

    @pytest.mark.anyio
    async def test_update_without_match_returns_none(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        assert await adapter.update("user", [Where("id", "nope")], {"name": "x"}) is None
        assert [r["name"] for r in await adapter.find_many("user", sort_by=SortBy("createdAt"))] == [
            "Alice",
            "bob",
            "Carol",
            "ALICE",
        ]

    @pytest.mark.anyio
    async def test_update_with_several_matches_updates_all_and_returns_one(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        updated = await adapter.update("user", [Where("emailVerified", True)], {"name": "V"})
        assert updated is not None
        assert updated["id"] in ("u1", "u4")
        assert updated["name"] == "V"
        assert ids(await adapter.find_many("user", [Where("name", "V")])) == ["u1", "u4"]

    @pytest.mark.anyio
    async def test_update_many_returns_the_count(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        assert await adapter.update_many("user", [Where("emailVerified", False)], {"emailVerified": True}) == 2
        assert await adapter.count("user", [Where("emailVerified", True)]) == 4
        assert await adapter.update_many("user", [Where("id", "nope")], {"name": "x"}) == 0
        assert await adapter.update_many("user", [], {"image": "same"}) == 4
        assert await adapter.count("user", [Where("image", "same")]) == 4

    @pytest.mark.anyio
    async def test_update_with_no_known_values_changes_nothing(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        found = await adapter.update("user", [Where("id", "u1")], {})
        assert found == USERS[0]
        assert await adapter.update("user", [Where("id", "nope")], {}) is None
        assert await adapter.update_many("user", [Where("emailVerified", True)], {"notAColumn": 1}) == 2
        assert ids(await adapter.find_many("user")) == ALL
        assert await adapter.find_one("user", [Where("id", "u4")]) == USERS[3]

    @pytest.mark.anyio
    async def test_update_can_change_the_id(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        updated = await adapter.update("user", [Where("id", "u1")], {"id": "u9"})
        assert updated is not None
        assert updated["id"] == "u9"
        assert await adapter.find_one("user", [Where("id", "u1")]) is None
        assert (await adapter.find_one("user", [Where("id", "u9")])) == {**USERS[0], "id": "u9"}
        # The old id is free again.
        await adapter.create("user", user("u1", "new@example.com"))
        assert await adapter.count("user") == 5

    @pytest.mark.anyio
    async def test_delete_returns_the_count(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        assert await adapter.delete("user", [Where("id", "u1")]) == 1
        assert await adapter.delete("user", [Where("id", "u1")]) == 0
        assert await adapter.delete("user", [Where("emailVerified", False)]) == 2
        assert ids(await adapter.find_many("user")) == ["u4"]

    # -- uniqueness and foreign keys -------------------------------------------------------

    @pytest.mark.anyio
    async def test_unique_email_on_create(self, adapter: Adapter) -> None:
        await adapter.create("user", user("u1", "a@example.com"))
        with pytest.raises(UniqueViolationError):
            await adapter.create("user", user("u2", "a@example.com"))
        assert ids(await adapter.find_many("user")) == ["u1"]
        # The adapter is still usable after the failed statement.
        await adapter.create("user", user("u2", "b@example.com"))
        assert await adapter.count("user") == 2

    @pytest.mark.anyio
    async def test_unique_id_on_create(self, adapter: Adapter) -> None:
        await adapter.create("user", user("u1", "a@example.com"))
        with pytest.raises(UniqueViolationError):
            await adapter.create("user", user("u1", "b@example.com"))
        assert await adapter.find_one("user", [Where("email", "b@example.com")]) is None

    @pytest.mark.anyio
    async def test_unique_session_token_on_create(self, adapter: Adapter) -> None:
        await adapter.create("user", user("u1"))
        await adapter.create("session", session("s1", "u1", token="t"))
        with pytest.raises(UniqueViolationError):
            await adapter.create("session", session("s2", "u1", token="t"))
        assert ids(await adapter.find_many("session")) == ["s1"]

    @pytest.mark.anyio
    async def test_unique_violation_on_update(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        with pytest.raises(UniqueViolationError):
            await adapter.update("user", [Where("id", "u2")], {"email": "alice@example.com"})
        assert (await adapter.find_one("user", [Where("id", "u2")])) == USERS[1]
        with pytest.raises(UniqueViolationError):
            await adapter.update("user", [Where("id", "u2")], {"id": "u1"})
        with pytest.raises(UniqueViolationError):
            await adapter.update_many("user", [Where("emailVerified", False)], {"email": "same@example.com"})
        # All or nothing: neither row changed.
        assert ids(await adapter.find_many("user", [Where("email", "same@example.com")])) == []
        assert await adapter.find_many("user", sort_by=SortBy("createdAt")) == USERS
        # Updating a row to its own value is not a violation.
        assert await adapter.update("user", [Where("id", "u1")], {"email": "alice@example.com"}) == USERS[0]

    @pytest.mark.anyio
    async def test_non_unique_columns_accept_duplicates(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        await adapter.create("user", user("u5", name="Alice"))
        # No unique constraint on (providerId, accountId) nor on verification.identifier (§10.2).
        await adapter.create("account", account("a1", "u1", accountId="sub", providerId="github"))
        await adapter.create("account", account("a2", "u2", accountId="sub", providerId="github"))
        await adapter.create("verification", verification("v1", "same"))
        await adapter.create("verification", verification("v2", "same"))
        # NULLs never collide.
        await adapter.create("session", session("s1", "u1", ipAddress=None))
        await adapter.create("session", session("s2", "u1", ipAddress=None))
        assert await adapter.count("account") == 2
        assert await adapter.count("verification") == 2

    @pytest.mark.anyio
    async def test_deleting_a_user_cascades_to_sessions_and_accounts(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        await adapter.create("session", session("s1", "u1"))
        await adapter.create("session", session("s2", "u1"))
        await adapter.create("session", session("s3", "u2"))
        await adapter.create("account", account("a1", "u1"))
        await adapter.create("account", account("a2", "u2"))
        await adapter.create("verification", verification("v1", "u1"))
        assert await adapter.delete("user", [Where("id", "u1")]) == 1
        assert ids(await adapter.find_many("session")) == ["s3"]
        assert ids(await adapter.find_many("account")) == ["a2"]
        # verification rows do not reference users.
        assert ids(await adapter.find_many("verification")) == ["v1"]
        assert await adapter.delete("user", [Where("id", ["u2", "u3"], "in")]) == 2
        assert await adapter.count("session") == 0
        assert await adapter.count("account") == 0

    # -- consume_one -----------------------------------------------------------------------

    @pytest.mark.anyio
    async def test_consume_one_returns_row_once(self, adapter: Adapter) -> None:
        row = verification("v1", "x")
        await adapter.create("verification", row)
        assert await adapter.consume_one("verification", [Where("identifier", "x")]) == row
        assert await adapter.consume_one("verification", [Where("identifier", "x")]) is None
        assert await adapter.count("verification") == 0

    @pytest.mark.anyio
    async def test_consume_one_takes_the_newest_match(self, adapter: Adapter) -> None:
        await adapter.create("verification", verification("v1", "x", createdAt=NOW))
        await adapter.create("verification", verification("v3", "x", createdAt=NOW + 2 * HOUR))
        await adapter.create("verification", verification("v2", "x", createdAt=NOW + HOUR))
        await adapter.create("verification", verification("other", "y", createdAt=NOW + 5 * HOUR))
        taken = []
        for _ in range(4):
            row = await adapter.consume_one("verification", [Where("identifier", "x")])
            taken.append(None if row is None else row["id"])
        assert taken == ["v3", "v2", "v1", None]
        assert ids(await adapter.find_many("verification")) == ["other"]

    @pytest.mark.anyio
    async def test_consume_one_respects_where_and_newest_by(self, adapter: Adapter) -> None:
        await adapter.create("verification", verification("v1", "x", expiresAt=NOW + 3 * HOUR, createdAt=NOW))
        await adapter.create("verification", verification("v2", "x", expiresAt=NOW + HOUR, createdAt=NOW + HOUR))
        await adapter.create("verification", verification("v3", "x", expiresAt=NOW - HOUR, createdAt=NOW + 2 * HOUR))
        unexpired = [Where("identifier", "x"), Where("expiresAt", NOW, "gt")]
        first = await adapter.consume_one("verification", unexpired, newest_by="expiresAt")
        assert first is not None
        assert first["id"] == "v1"
        second = await adapter.consume_one("verification", unexpired)
        assert second is not None
        assert second["id"] == "v2"
        assert await adapter.consume_one("verification", unexpired) is None
        assert ids(await adapter.find_many("verification")) == ["v3"]

    @pytest.mark.anyio
    async def test_consume_one_is_single_use_under_concurrency(self, adapter: Adapter) -> None:
        await adapter.create("verification", verification("v1", "x"))
        results = await asyncio.gather(
            *(adapter.consume_one("verification", [Where("identifier", "x")]) for _ in range(20))
        )
        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        assert winners[0]["id"] == "v1"
        assert await adapter.count("verification") == 0

    @pytest.mark.anyio
    async def test_consume_one_never_hands_out_a_row_twice(self, adapter: Adapter) -> None:
        for i in range(5):
            await adapter.create("verification", verification(f"v{i}", "x", createdAt=NOW + i * HOUR))
        results = await asyncio.gather(
            *(adapter.consume_one("verification", [Where("identifier", "x")]) for _ in range(20))
        )
        taken = [r["id"] for r in results if r is not None]
        assert taken, "at least one caller gets a row"
        assert len(taken) == len(set(taken))
        remaining = ids(await adapter.find_many("verification"))
        assert sorted(taken + remaining) == [f"v{i}" for i in range(5)]
        assert "v4" in taken  # the newest row went first

    # -- the session lookup and the schema -------------------------------------------------

    @pytest.mark.anyio
    async def test_find_session_and_user_is_one_lookup_of_both_rows(self, adapter: Adapter) -> None:
        await adapter.create("user", user("u1", name="Alice"))
        await adapter.create("user", user("u2"))
        await adapter.create("session", session("s1", "u1"))
        found = await adapter.find_session_and_user("tok-s1")
        assert found == (session("s1", "u1"), user("u1", name="Alice"))
        assert await adapter.find_session_and_user("tok-unknown") is None
        async with adapter.transaction() as tx:
            await tx.create("session", session("s2", "u2"))
            inside = await tx.find_session_and_user("tok-s2")
            assert inside is not None and inside[1] == user("u2")
        assert (await adapter.find_session_and_user("tok-s2")) == (session("s2", "u2"), user("u2"))

    @pytest.mark.anyio
    async def test_rows_are_keyed_by_plain_str(self, adapter: Adapter) -> None:
        # Not a str subclass (SQLAlchemy's quoted_name): orjson refuses one as a key, so every answer
        # would silently take the slow encoder; user hooks see the same plain dicts on every adapter.
        created = await adapter.create("user", user("u1"))
        await adapter.create("session", session("s1", "u1"))
        found = await adapter.find_session_and_user("tok-s1")
        assert found is not None
        many = await adapter.find_many("user")
        one = await adapter.find_one("session", [Where("id", "s1")])
        updated = await adapter.update("user", [Where("id", "u1")], {"name": "New"})
        assert one is not None and updated is not None
        for row in (created, *found, *many, one, updated):
            assert {type(key) for key in row} == {str}

    @pytest.mark.anyio
    async def test_use_schema_adds_tables_and_existing_columns_reads_them(self, adapter: Adapter) -> None:
        assert {"id", "email", "emailVerified", "createdAt"} <= await adapter.existing_columns("user")
        note = TableSpec("note", (FieldSpec("id", "string"), FieldSpec("text", "string", required=False)))
        adapter.use_schema(merge_schema(CORE_SCHEMA, [note]))
        await adapter.create_schema()
        await adapter.create("note", {"id": "n1", "text": "hello"})
        assert await adapter.find_one("note", [Where("id", "n1")]) == {"id": "n1", "text": "hello"}
        assert await adapter.existing_columns("note") == {"id", "text"}
        async with adapter.transaction() as tx:
            assert await tx.existing_columns("note") == {"id", "text"}

    # -- transactions ----------------------------------------------------------------------

    @pytest.mark.anyio
    async def test_transaction_commits_together(self, adapter: Adapter) -> None:
        async with adapter.transaction() as tx:
            await tx.create("user", user("u1"))
            await tx.create("session", session("s1", "u1"))
            # Reads inside the transaction see its own writes.
            assert await tx.count("session", [Where("userId", "u1")]) == 1
            assert await tx.find_one("user", [Where("id", "u1")]) is not None
        assert await adapter.find_one("user", [Where("id", "u1")]) == user("u1")
        assert ids(await adapter.find_many("session")) == ["s1"]

    @pytest.mark.anyio
    async def test_transaction_rolls_back_on_error(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        with pytest.raises(RuntimeError, match="boom"):
            async with adapter.transaction() as tx:
                await tx.create("user", user("u5"))
                await tx.update("user", [Where("id", "u1")], {"name": "changed"})
                assert await tx.delete("user", [Where("id", "u2")]) == 1
                assert await tx.consume_one("user", [Where("id", "u3")]) is not None
                raise RuntimeError("boom")
        assert await adapter.find_many("user", sort_by=SortBy("createdAt")) == USERS

    @pytest.mark.anyio
    async def test_transaction_rolls_back_on_unique_violation(self, adapter: Adapter) -> None:
        await seed_users(adapter)
        with pytest.raises(UniqueViolationError):
            async with adapter.transaction() as tx:
                await tx.create("user", user("u5", "new@example.com"))
                await tx.create("session", session("s1", "u5"))
                await tx.create("user", user("u6", "alice@example.com"))
        assert await adapter.find_one("user", [Where("id", "u5")]) is None
        assert await adapter.count("session") == 0
        assert await adapter.count("user") == 4

    @pytest.mark.anyio
    async def test_transaction_result_is_usable_after_commit(self, adapter: Adapter) -> None:
        async with adapter.transaction() as tx:
            await tx.create("user", user("u1"))
        async with adapter.transaction() as tx:
            await tx.update("user", [Where("id", "u1")], {"name": "second"})
        found = await adapter.find_one("user", [Where("id", "u1")])
        assert found is not None
        assert found["name"] == "second"

    @pytest.mark.anyio
    async def test_nested_transaction_rolls_back_only_the_inner_part(self, adapter: Adapter) -> None:
        async with adapter.transaction() as tx:
            await tx.create("user", user("u1"))
            with pytest.raises(RuntimeError):
                async with tx.transaction() as inner:
                    await inner.create("user", user("u2"))
                    raise RuntimeError("inner")
            await tx.create("user", user("u3"))
        assert ids(await adapter.find_many("user")) == ["u1", "u3"]

    @pytest.mark.anyio
    async def test_rolled_back_transaction_keeps_other_callers_writes(self, adapter: Adapter) -> None:
        started = asyncio.Event()

        async def failing() -> None:
            with pytest.raises(RuntimeError):
                async with adapter.transaction() as tx:
                    await tx.create("user", user("u1"))
                    started.set()
                    await asyncio.sleep(0.05)
                    raise RuntimeError("rollback")

        async def other() -> None:
            await started.wait()
            await adapter.create("user", user("u2"))
            await adapter.create("session", session("s2", "u2"))

        await asyncio.gather(failing(), other())
        assert ids(await adapter.find_many("user")) == ["u2"]
        assert ids(await adapter.find_many("session")) == ["s2"]

    @pytest.mark.anyio
    async def test_reads_during_a_transaction_do_not_disturb_it(self, adapter: Adapter) -> None:
        started = asyncio.Event()

        async def writer() -> None:
            async with adapter.transaction() as tx:
                await tx.create("user", user("u1"))
                started.set()
                await asyncio.sleep(0.05)
                await tx.create("user", user("u2"))

        async def reader() -> int:
            await started.wait()
            counts = await asyncio.gather(*(adapter.count("user") for _ in range(5)))
            assert await adapter.find_one("user", [Where("id", "nope")]) is None
            return max(counts)

        _, seen = await asyncio.gather(writer(), reader())
        assert seen <= 2
        assert ids(await adapter.find_many("user")) == ["u1", "u2"]

    @pytest.mark.anyio
    async def test_nested_transaction_is_undone_with_the_outer_one(self, adapter: Adapter) -> None:
        # The nested block is the first statement of the transaction: it must not commit on its own.
        with pytest.raises(RuntimeError):
            async with adapter.transaction() as tx:
                async with tx.transaction() as inner:
                    await inner.create("user", user("u1"))
                await tx.create("user", user("u2"))
                raise RuntimeError("outer")
        assert await adapter.count("user") == 0

    # -- value types -----------------------------------------------------------------------

    @pytest.mark.anyio
    async def test_datetimes_round_trip_as_aware_utc_milliseconds(self, adapter: Adapter) -> None:
        values: dict[str, Any] = {
            "expiresAt": datetime(2026, 11, 22, 9, 1, 23, 910000, tzinfo=UTC),
            "createdAt": datetime(1999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
            "updatedAt": datetime(2038, 1, 19, 3, 14, 8, 1000, tzinfo=UTC),
        }
        created = await adapter.create("verification", verification("v1", **values))
        found = await adapter.find_one("verification", [Where("id", "v1")])
        [listed] = await adapter.find_many("verification")
        for row in (created, found, listed):
            assert row is not None
            for name, value in values.items():
                assert row[name] == value
                assert isinstance(row[name], datetime)
                assert row[name].utcoffset() == timedelta(0)
                assert row[name].microsecond % 1000 == 0

    @pytest.mark.anyio
    async def test_datetimes_in_other_offsets_come_back_in_utc(self, adapter: Adapter) -> None:
        local = datetime(2026, 11, 22, 11, 1, 23, 910000, tzinfo=PLUS_TWO)
        created = await adapter.create("verification", verification("v1", expiresAt=local))
        updated = await adapter.update("verification", [Where("id", "v1")], {"updatedAt": local})
        found = await adapter.find_one("verification", [Where("id", "v1")])
        for row in (created, updated, found):
            assert row is not None
            assert row["expiresAt"] == NOW
            assert row["expiresAt"].utcoffset() == timedelta(0)
        assert updated is not None
        assert updated["updatedAt"] == NOW
        assert updated["updatedAt"].utcoffset() == timedelta(0)

    @pytest.mark.anyio
    async def test_booleans_come_back_as_bool(self, adapter: Adapter) -> None:
        created = await adapter.create("user", user("u1", emailVerified=True))
        await adapter.create("user", user("u2", emailVerified=False))
        assert created["emailVerified"] is True
        rows = {r["id"]: r for r in await adapter.find_many("user")}
        assert rows["u1"]["emailVerified"] is True
        assert rows["u2"]["emailVerified"] is False
        updated = await adapter.update("user", [Where("id", "u2")], {"emailVerified": True})
        assert updated is not None
        assert updated["emailVerified"] is True
        consumed = await adapter.consume_one("user", [Where("id", "u1")])
        assert consumed is not None
        assert consumed["emailVerified"] is True

    @pytest.mark.anyio
    async def test_text_round_trips_unchanged(self, adapter: Adapter) -> None:
        names = ["", " padded ", "ünïcødé ✓ 日本語", "emoji 🎉", "quote ' \" ;--", "new\nline", "tab\tx"]
        for i, name in enumerate(names):
            await adapter.create("user", user(f"u{i}", name=name))
        rows = await adapter.find_many("user")
        assert sorted(r["name"] for r in rows) == sorted(names)
        for i, name in enumerate(names):
            assert ids(await adapter.find_many("user", [Where("name", name)])) == [f"u{i}"]

    # -- increment (Better Auth's incrementOne) ----------------------------------------------

    @pytest.mark.anyio
    async def test_increment_adds_and_sets_only_when_the_conditions_hold(self, adapter: Adapter) -> None:
        adapter.use_schema(merge_schema(CORE_SCHEMA, [RATE_LIMIT_TABLE]))
        await adapter.create_schema()
        await adapter.delete("rateLimit", [])
        await adapter.create("rateLimit", {"id": "r1", "key": "1.2.3.4|/sign-in", "count": 1, "lastRequest": 10**12})
        counted = await adapter.increment(
            "rateLimit",
            [Where("key", "1.2.3.4|/sign-in"), Where("count", 2, "lt")],
            {"count": 1},
            {"lastRequest": 2 * 10**12},
        )
        assert counted == {"id": "r1", "key": "1.2.3.4|/sign-in", "count": 2, "lastRequest": 2 * 10**12}
        refused = await adapter.increment(
            "rateLimit", [Where("key", "1.2.3.4|/sign-in"), Where("count", 2, "lt")], {"count": 1}, {}
        )
        assert refused is None
        assert (await adapter.find_one("rateLimit", [Where("id", "r1")]))["count"] == 2  # type: ignore[index]

    @pytest.mark.anyio
    async def test_increment_never_loses_a_count_under_concurrency(self, adapter: Adapter) -> None:
        adapter.use_schema(merge_schema(CORE_SCHEMA, [RATE_LIMIT_TABLE]))
        await adapter.create_schema()
        await adapter.delete("rateLimit", [])
        await adapter.create("rateLimit", {"id": "r1", "key": "k", "count": 0, "lastRequest": 0})
        results = await asyncio.gather(
            *(
                adapter.increment("rateLimit", [Where("key", "k"), Where("count", 7, "lt")], {"count": 1}, {})
                for _ in range(20)
            )
        )
        assert sum(r is not None for r in results) == 7
        assert (await adapter.find_one("rateLimit", [Where("key", "k")]))["count"] == 7  # type: ignore[index]

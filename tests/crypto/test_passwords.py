from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_betterauth.crypto.passwords import (
    Argon2Hasher,
    ScryptHasher,
    hash_password,
    is_scrypt_hash,
    verify_password,
)
from fastapi_betterauth.errors import MalformedHashError

# Checked byte for byte against @better-auth/utils hashPassword (design.md, convention 6).
KNOWN = (
    "00112233445566778899aabbccddeeff:ead8671eb81bd0af570262be529eedf9e342044627f78164c5c97022e23de324"
    "8cf32515790cbc3a8704aeaed3b6335c498c5ac2989516d65d02e0619bf3e55c"
)


def test_known_answer_scrypt() -> None:
    assert hash_password("hunter2", salt=bytes.fromhex("00112233445566778899aabbccddeeff")) == KNOWN
    assert verify_password(KNOWN, "hunter2")
    assert not verify_password(KNOWN, "hunter3")


def test_format_is_salt_hex_colon_key_hex() -> None:
    stored = hash_password("password123")
    salt, key = stored.split(":")
    assert len(salt) == 32 and len(key) == 128
    assert is_scrypt_hash(stored)


def test_nfkc_normalisation_makes_compatible_forms_equal() -> None:
    stored = hash_password("\uff50\uff41\uff53\uff53word")  # fullwidth letters normalise to ASCII under NFKC
    assert verify_password(stored, "password")


@pytest.mark.parametrize("bad", ["", "nocolon", "zz:yy", ":", "abc:"])
def test_malformed_hash_raises(bad: str) -> None:
    with pytest.raises(MalformedHashError):
        verify_password(bad, "x")


@settings(max_examples=5, deadline=None)
@given(st.text(max_size=40))
def test_hash_then_verify_roundtrip(password: str) -> None:
    stored = hash_password(password)
    assert verify_password(stored, password)
    assert not verify_password(stored, password + "x")


def test_argon2_hasher_verifies_both_formats_and_asks_to_rehash_scrypt() -> None:
    argon = Argon2Hasher(time_cost=1, memory_cost=1024)
    new = argon.hash("s3cret")
    assert new.startswith("$argon2id$")
    assert argon.verify(new, "s3cret") and not argon.verify(new, "nope")
    assert argon.verify(KNOWN, "hunter2")
    assert argon.needs_rehash(KNOWN)
    assert not argon.needs_rehash(new)


def test_scrypt_hasher_verifies_argon2_and_migrates_back() -> None:
    legacy = Argon2Hasher(time_cost=1, memory_cost=1024).hash("s3cret")
    scrypt = ScryptHasher()
    assert scrypt.verify(legacy, "s3cret")
    assert scrypt.needs_rehash(legacy)
    assert not scrypt.needs_rehash(KNOWN)


def test_argon2_rejects_garbage() -> None:
    with pytest.raises(MalformedHashError):
        Argon2Hasher().verify("not-a-hash", "x")

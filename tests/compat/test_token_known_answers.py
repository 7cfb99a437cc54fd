"""Known answers for the token plugins: Better Auth's symmetric encryption, its jwks rows and JWTs (npm 1.7.24)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastapi_betterauth import MemoryAdapter
from fastapi_betterauth.crypto.jwt import decode_jwt, encode_jwt, key_from_jwk
from fastapi_betterauth.crypto.symmetric import (
    DecryptionError,
    SecretConfig,
    raw_encrypt,
    symmetric_decrypt,
    symmetric_encrypt,
)
from fastapi_betterauth.plugins.jwt.keys import JWKSKeys
from fastapi_betterauth.plugins.jwt.options import JWTOptions

VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "vectors.json").read_text())
JWKS = VECTORS["jwks"]
pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("case", VECTORS["symmetric_encryption"], ids=lambda c: repr(c["plaintext"])[:20])
def test_symmetric_encryption_matches_npm(case: dict[str, Any]) -> None:
    # Same nonce in, byte-identical ciphertext out; the npm ciphertext decrypts here.
    nonce = bytes.fromhex(case["ciphertext"][:48])
    assert raw_encrypt(case["secret"], case["plaintext"], nonce=nonce) == case["ciphertext"]
    assert symmetric_decrypt(case["ciphertext"], (case["secret"],)) == case["plaintext"]
    assert json.dumps(case["ciphertext"]) == case["jwks_column"]
    with pytest.raises(DecryptionError):
        symmetric_decrypt(case["ciphertext"], ("another-secret-0123456789abcdef0123",))


def test_versioned_secret_envelopes_match_npm() -> None:
    rotation = VECTORS["symmetric_encryption_rotation"]
    versions = {int(k): v for k, v in rotation["keys"].items()}
    envelope = rotation["envelope"]
    assert symmetric_decrypt(envelope["ciphertext"], (), versions=versions) == envelope["plaintext"]
    legacy = rotation["legacy"]
    assert (
        symmetric_decrypt(legacy["ciphertext"], (rotation["legacy_secret"],), versions=versions) == legacy["plaintext"]
    )
    made = symmetric_encrypt("unused", "x", versions=versions, current_version=rotation["current_version"])
    assert made.startswith(f"$ba${rotation['current_version']}$")
    assert symmetric_decrypt(made, (), versions=versions) == "x"
    with pytest.raises(DecryptionError):
        symmetric_decrypt("$ba$9$" + envelope["ciphertext"].split("$")[-1], (), versions=versions)


@given(st.text(max_size=200))
def test_decrypt_raises_only_the_documented_error(data: str) -> None:
    try:
        symmetric_decrypt(data, ("test-secret-0123456789abcdef0123456789abcdef",))
    except DecryptionError:
        pass


def test_better_auth_jwks_row_decrypts_to_its_private_key() -> None:
    stored = json.loads(JWKS["row"]["privateKey"])  # the column holds a JSON string
    assert json.loads(symmetric_decrypt(stored, (JWKS["secret"],))) == json.loads(JWKS["private_jwk"])


def test_signing_with_a_better_auth_key_gives_the_same_token() -> None:
    """Ed25519 is deterministic: same key, header and claims in the same order give the same bytes."""
    signed = JWKS["signed_jwt"]
    key = key_from_jwk(json.loads(JWKS["private_jwk"]), "EdDSA")
    token = encode_jwt(signed["payload"], key, "EdDSA", headers={"kid": signed["header"]["kid"]})
    assert token == signed["token"]
    public = key_from_jwk(json.loads(JWKS["row"]["publicKey"]), "EdDSA")
    claims = decode_jwt(
        signed["token"], public, ["EdDSA"], issuer=signed["base_url"], audience=signed["base_url"], leeway=10**9
    )
    assert claims == signed["payload"]


async def test_jwks_document_from_a_better_auth_row() -> None:
    adapter = MemoryAdapter()
    await adapter.create_schema()
    from fastapi_betterauth._dates import parse_iso
    from fastapi_betterauth.db.schema import CORE_SCHEMA, merge_schema
    from fastapi_betterauth.plugins.jwt.schema import JWKS_TABLE

    adapter.use_schema(merge_schema(CORE_SCHEMA, (JWKS_TABLE,)))
    row = {**JWKS["row"], "createdAt": parse_iso(JWKS["row"]["createdAt"])}
    await adapter.create("jwks", row)
    keys = JWKSKeys(JWTOptions(), adapter, SecretConfig(JWKS["secret"]))
    assert {"keys": await keys.public_keys()} == JWKS["jwks_response"]
    signing = await keys.signing_key()
    assert (signing.kid, signing.alg) == (JWKS["row"]["id"], "EdDSA")

"""vectors.json (made by gen_vectors.mjs from the real npm packages) is present and well-formed.

Only the structure is checked here; the known-answer tests that run the Python code on these vectors are
separate.
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

VECTORS_PATH = Path(__file__).with_name("vectors.json")

HEX = re.compile(r"^[0-9a-f]*$")
SCRYPT_HASH = re.compile(r"^[0-9a-f]{32}:[0-9a-f]{128}$")
B64_SIG = re.compile(r"^[A-Za-z0-9+/]{43}=$")
ID_32 = re.compile(r"^[A-Za-z0-9]{32}$")
JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    data = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _b64url_json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_top_level_keys(vectors: dict[str, Any]) -> None:
    assert set(vectors) >= {
        "generator",
        "node",
        "npm_versions",
        "scrypt_params",
        "passwords",
        "cookies",
        "email_verification_jwt",
        "symmetric_encryption",
        "symmetric_encryption_rotation",
        "jwks",
        "ids",
    }


def test_npm_versions(vectors: dict[str, Any]) -> None:
    versions = vectors["npm_versions"]
    assert versions["better-auth"] == "1.7.24"
    assert versions["@better-auth/core"] == "1.7.24"
    assert versions["@better-auth/utils"] == "0.5.1"
    assert versions["better-call"] == "1.4.5"
    assert all(isinstance(v, str) and v for v in versions.values())


def test_passwords(vectors: dict[str, Any]) -> None:
    entries = vectors["passwords"]
    assert len(entries) >= 8
    assert any(e["password"] != e["password_nfkc"] for e in entries), "needs an NFKC-sensitive password"
    assert any(len(e["password"]) == 128 for e in entries)
    assert any(any(ord(c) > 0xFFFF for c in e["password"]) for e in entries), "needs an astral (emoji) password"
    for e in entries:
        assert set(e) == {
            "password",
            "password_nfkc",
            "js_length",
            "hash",
            "verify",
            "verify_nfkc_form",
            "wrong_password",
            "verify_wrong",
        }
        assert SCRYPT_HASH.match(e["hash"]), e["hash"]
        assert e["password_nfkc"] == unicodedata.normalize("NFKC", e["password"])
        assert e["js_length"] == len(e["password"].encode("utf-16-le")) // 2
        assert e["verify"] is True
        assert e["verify_nfkc_form"] is True
        assert e["verify_wrong"] is False
        assert e["wrong_password"] != e["password"]


def test_cookies(vectors: dict[str, Any]) -> None:
    entries = vectors["cookies"]
    assert len(entries) >= 5
    for e in entries:
        assert set(e) == {"cookie_name", "value", "secret", "signature", "signed_value", "cookie_value", "set_cookie"}
        assert B64_SIG.match(e["signature"]), e["signature"]
        assert e["signed_value"] == f"{e['value']}.{e['signature']}"
        assert e["set_cookie"].startswith(f"{e['cookie_name']}={e['cookie_value']}; ")
        assert e["set_cookie"].endswith("; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")
        # the Set-Cookie value is percent-encoded: no raw '=', '/', '+', ';' or spaces survive
        assert not re.search(r"[=/+; ]", e["cookie_value"]), e["cookie_value"]


def test_email_verification_jwt(vectors: dict[str, Any]) -> None:
    entries = vectors["email_verification_jwt"]
    assert len(entries) >= 2
    for e in entries:
        assert set(e) >= {"kind", "secret", "now_ms", "args", "token", "header", "payload", "verifies"}
        assert JWT.match(e["token"])
        header_part, payload_part, _ = e["token"].split(".")
        assert _b64url_json(header_part) == e["header"] == {"alg": "HS256"}
        assert _b64url_json(payload_part) == e["payload"]
        assert e["payload"]["iat"] == e["now_ms"] // 1000
        assert e["payload"]["exp"] == e["payload"]["iat"] + e["args"]["expiresIn"]
        assert e["payload"]["email"] == e["args"]["email"].lower()
        assert e["verifies"] is True
        assert e["verifies_with_wrong_secret"] is False


def test_symmetric_encryption(vectors: dict[str, Any]) -> None:
    entries = vectors["symmetric_encryption"]
    assert len(entries) >= 3
    for e in entries:
        assert set(e) == {"secret", "plaintext", "ciphertext", "jwks_column"}
        assert HEX.match(e["ciphertext"])
        # 24-byte nonce + ciphertext (same length as the UTF-8 plaintext) + 16-byte tag, hex
        assert len(e["ciphertext"]) == 2 * (24 + len(e["plaintext"].encode()) + 16)
        assert json.loads(e["jwks_column"]) == e["ciphertext"]
    rotation = vectors["symmetric_encryption_rotation"]
    current = str(rotation["current_version"])
    assert current in rotation["keys"]
    assert rotation["envelope"]["ciphertext"].startswith(f"$ba${current}$")
    assert rotation["envelope"]["decrypted"] == rotation["envelope"]["plaintext"]
    assert HEX.match(rotation["legacy"]["ciphertext"])
    assert rotation["legacy"]["decrypted"] == rotation["legacy"]["plaintext"]


def test_jwks_row(vectors: dict[str, Any]) -> None:
    jwks = vectors["jwks"]
    row = jwks["row"]
    assert ID_32.match(row["id"])
    assert row["alg"] == "EdDSA"
    assert row["crv"] == "Ed25519"
    public = json.loads(row["publicKey"])
    assert public["kty"] == "OKP" and public["crv"] == "Ed25519" and "d" not in public
    stored = json.loads(row["privateKey"])  # JSON text of a JSON string
    assert isinstance(stored, str) and HEX.match(stored)
    private = json.loads(jwks["private_jwk"])
    assert private["x"] == public["x"] and "d" in private
    assert len(stored) == 2 * (24 + len(jwks["private_jwk"].encode()) + 16)
    assert jwks["jwks_response"]["keys"][0]["kid"] == row["id"]
    token = jwks["signed_jwt"]
    assert JWT.match(token["token"])
    assert token["header"] == {"alg": "EdDSA", "kid": row["id"]}
    assert token["payload"]["iss"] == token["payload"]["aud"] == token["base_url"]
    assert token["payload"]["exp"] == token["payload"]["iat"] + 900


def test_ids(vectors: dict[str, Any]) -> None:
    ids = vectors["ids"]
    for key, pattern in ids["regex"].items():
        assert ids[key], key
        for value in ids[key]:
            assert re.match(pattern, value), (key, value)
    for value in ids["generateId_default"]:
        assert ID_32.match(value)

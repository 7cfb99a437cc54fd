"""``JWSSigner``: libsodium's Ed25519 signatures are OpenSSL's, byte for byte, and claims serialise as JSON.stringify.

The jwt plugin signs one token per get-session answer; Ed25519 goes through libsodium for speed. RFC 8032
signatures are deterministic, so the bytes must equal what ``cryptography`` (OpenSSL) and therefore ``jose``
produce: tests/compat pins one token against the npm package, these properties pin every key and message.
"""

import base64
import json
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_betterauth.crypto.jwt import JWSSigner, decode_jwt, encode_jwt


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


claims_strategy = st.dictionaries(
    st.text(max_size=8), st.none() | st.booleans() | st.integers() | st.text(max_size=30), max_size=6
)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=32), claims_strategy, st.text(max_size=12))
def test_ed25519_signature_is_openssls(seed: bytes, claims: dict[str, Any], kid: str) -> None:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    token = JWSSigner(key, "EdDSA", {"kid": kid}).encode(claims)
    head, body, signature = token.split(".")
    assert unb64(signature) == key.sign(f"{head}.{body}".encode())
    assert JWSSigner(key, "EdDSA").signature(b"m") == key.sign(b"m")
    assert json.loads(unb64(head)) == {"alg": "EdDSA", "kid": kid}
    assert json.loads(unb64(body)) == claims
    assert pyjwt.api_jws.PyJWS().decode(token, key.public_key(), algorithms=["EdDSA"]) == unb64(body)


@settings(max_examples=100, deadline=None)
@given(claims_strategy)
def test_one_signer_and_one_off_encoding_agree(claims: dict[str, Any]) -> None:
    key = Ed25519PrivateKey.from_private_bytes(b"k" * 32)
    signer = JWSSigner(key, "EdDSA", {"kid": "a"})
    assert signer.encode(claims) == encode_jwt(claims, key, "EdDSA", headers={"kid": "a"})
    assert signer.with_header({"typ": "at+jwt", "kid": "a"}).encode(claims) == encode_jwt(
        claims, key, "EdDSA", headers={"typ": "at+jwt", "kid": "a"}
    )


def test_another_header_cannot_change_the_algorithm() -> None:
    key = Ed25519PrivateKey.from_private_bytes(b"k" * 32)
    signer = JWSSigner(key, "EdDSA", {"kid": "a"}).with_header({"alg": "none", "kid": "b"})
    head, _, _ = signer.encode({"sub": "u"}).split(".")
    assert signer.algorithm == "EdDSA"
    assert json.loads(unb64(head)) == {"alg": "EdDSA", "kid": "b"}


@pytest.mark.parametrize("algorithm", ["HS256", "HS512"])
def test_hmac_tokens_verify(algorithm: str) -> None:
    token = JWSSigner(b"s" * 32, algorithm).encode({"sub": "u", "exp": 2**40})
    assert decode_jwt(token, b"s" * 32, [algorithm], leeway=0)["sub"] == "u"


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        # JSON.stringify (ES2019, "well-formed"): a lone surrogate becomes a lowercase \uXXXX escape...
        ({"name": "a\ud800b"}, '{"name":"a\\ud800b"}'),
        ({"\udfff": 1}, '{"\\udfff":1}'),
        # ...a pair stays the character it encodes, other non-ASCII stays UTF-8, control characters escape.
        ({"name": "\U0001f600 é\u2028\x1f"}, '{"name":"\U0001f600 é\u2028\\u001f"}'),
    ],
)
def test_claims_serialise_as_json_stringify(claims: dict[str, Any], expected: str) -> None:
    token = JWSSigner(b"s" * 32, "HS256").encode(claims)
    assert unb64(token.split(".")[1]) == expected.encode()

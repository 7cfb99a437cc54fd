"""HMAC-SHA256 cookie signing, byte-identical to better-call's signed cookies.

Mirrors ``better-call/dist/crypto.mjs``: ``value + "." + base64(HMAC-SHA256(secret, value))`` with
the standard base64 alphabet and padding (always 44 characters), then ``encodeURIComponent`` when
placed in a cookie.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Sequence
from urllib.parse import quote, unquote

from ..errors import InvalidSignatureError

_SIGNATURE_LENGTH = 44


def signature(value: str, secret: str) -> str:
    """Base64 HMAC-SHA256 of ``value`` keyed with the UTF-8 secret."""
    # hmac.digest: OpenSSL's one-shot HMAC, without hmac.new's two Python-level hash objects.
    return base64.b64encode(hmac.digest(secret.encode(), value.encode(), "sha256")).decode("ascii")


def sign_value(value: str, secret: str) -> str:
    """``value.signature`` (not URL-encoded): the form of the bearer ``set-auth-token`` header."""
    return f"{value}.{signature(value, secret)}"


def encode_uri_component(value: str) -> str:
    """JavaScript ``encodeURIComponent``."""
    return quote(value, safe="!~*'()")


def sign_cookie_value(value: str, secret: str) -> str:
    """The cookie value Better Auth sets: ``encodeURIComponent(value + "." + signature)``."""
    return encode_uri_component(sign_value(value, secret))


def unsign_value(signed: str, secrets: Sequence[str]) -> str:
    """Check ``value.signature`` against each secret (newest first) and return ``value``.

    Raises:
        InvalidSignatureError: when the shape is wrong or no secret produced the signature.
    """
    value, dot, sig = signed.rpartition(".")
    if not dot or len(sig) != _SIGNATURE_LENGTH or not sig.endswith("="):
        raise InvalidSignatureError("not a signed value")
    # Compare the re-encoded signature text, never decoded bytes: base64 ignores the spare bits of
    # the last character, so comparing bytes would accept several spellings of one signature.
    for secret in secrets:
        if hmac.compare_digest(signature(value, secret).encode(), sig.encode()):
            return value
    raise InvalidSignatureError("bad signature")


def unsign_cookie_value(raw: str, secrets: Sequence[str]) -> str:
    """Verify a cookie value as received (percent-encoded or not) and return the signed value.

    Raises:
        InvalidSignatureError: when the cookie is unsigned, malformed or tampered with.
    """
    return unsign_value(_percent_decoded(raw), secrets)


def _percent_decoded(raw: str) -> str:
    # encodeURIComponent of ``token.base64`` escapes only "+", "/" and "=": those three are replaced
    # directly; any other "%" left (another escape, a lower-case one, a stray one) takes the full decoder.
    if "%" not in raw:
        return raw
    plain = raw.replace("%3D", "=").replace("%2B", "+").replace("%2F", "/")
    return plain if "%" not in plain else unquote(raw, errors="strict")

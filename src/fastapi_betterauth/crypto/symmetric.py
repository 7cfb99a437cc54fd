"""Better Auth's symmetric encryption (``symmetricEncrypt``): XChaCha20-Poly1305, key = SHA-256(secret).

Output is lowercase hex of ``nonce (24) ‖ ciphertext ‖ tag (16)``; with versioned secrets it is wrapped
as ``$ba$<version>$<hex>``. Used for the ``jwks.privateKey`` column (which stores the result as a JSON
string) so a TypeScript server can use keys created here and the other way round.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt, crypto_aead_xchacha20poly1305_ietf_encrypt
from nacl.exceptions import CryptoError as NaclCryptoError

from ..errors import CryptoError

ENVELOPE_PREFIX = "$ba$"


class DecryptionError(CryptoError):
    """The ciphertext was tampered with, is malformed, or was made with another secret."""


def _key(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def raw_encrypt(secret: str, plaintext: str, *, nonce: bytes | None = None) -> str:
    """``nonce ‖ ciphertext ‖ tag`` as hex; ``nonce`` only for known-answer tests."""
    nonce = nonce if nonce is not None else os.urandom(24)
    sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext.encode(), None, nonce, _key(secret))
    return (nonce + sealed).hex()


def raw_decrypt(secret: str, data: str) -> str:
    """Inverse of :func:`raw_encrypt`.

    Raises:
        DecryptionError: wrong secret, tampering, or not hex.
    """
    try:
        raw = bytes.fromhex(data)
    except ValueError:
        raise DecryptionError("not hex") from None
    if len(raw) < 24 + 16:
        raise DecryptionError("too short")
    try:
        return crypto_aead_xchacha20poly1305_ietf_decrypt(raw[24:], None, raw[:24], _key(secret)).decode()
    except (NaclCryptoError, UnicodeDecodeError):
        raise DecryptionError("authentication failed") from None


def parse_envelope(data: str) -> tuple[int, str] | None:
    """``(version, hex)`` of a ``$ba$<version>$<hex>`` envelope, or ``None`` for bare hex."""
    if not data.startswith(ENVELOPE_PREFIX):
        return None
    rest = data[len(ENVELOPE_PREFIX) :]
    version, sep, hex_data = rest.partition("$")
    if not sep or not version.isdigit():
        return None
    return int(version), hex_data


def symmetric_encrypt(
    secret: str, plaintext: str, *, versions: Mapping[int, str] | None = None, current_version: int | None = None
) -> str:
    """Encrypt as Better Auth does: bare hex with one secret, an envelope with versioned secrets."""
    if versions and current_version is not None:
        return f"{ENVELOPE_PREFIX}{current_version}${raw_encrypt(versions[current_version], plaintext)}"
    return raw_encrypt(secret, plaintext)


def symmetric_decrypt(data: str, secrets: tuple[str, ...], *, versions: Mapping[int, str] | None = None) -> str:
    """Decrypt an envelope (by its version) or bare hex (trying ``secrets`` in order: current, then previous).

    Raises:
        DecryptionError: no configured secret opens it.
    """
    envelope = parse_envelope(data)
    if envelope is not None:
        version, hex_data = envelope
        secret = (versions or {}).get(version)
        if secret is None:
            raise DecryptionError(f"secret version {version} is not configured")
        return raw_decrypt(secret, hex_data)
    for secret in secrets:
        try:
            return raw_decrypt(secret, data)
        except DecryptionError:
            continue
    raise DecryptionError("no configured secret decrypts this value")


@dataclass(frozen=True)
class SecretConfig:
    """The secrets one server encrypts with (Better Auth's ``secretConfig``).

    With versioned secrets (``secrets`` / ``BETTER_AUTH_SECRETS``) new ciphertexts are envelopes under the
    current version and envelopes open by their version; bare hex (made before versions, or by a server
    without them) opens with any of ``legacy``. Without versions everything is bare hex.
    """

    current: str
    versions: Mapping[int, str] = field(default_factory=dict)
    current_version: int | None = None
    legacy: tuple[str, ...] = ()

    def encrypt(self, plaintext: str) -> str:
        """Encrypt with the current secret (an envelope when versioned)."""
        return symmetric_encrypt(
            self.current, plaintext, versions=self.versions or None, current_version=self.current_version
        )

    def decrypt(self, data: str) -> str:
        """Decrypt an envelope by its version, or bare hex with the current or an older secret.

        Raises:
            DecryptionError: no configured secret opens it.
        """
        return symmetric_decrypt(data, (self.current, *self.legacy), versions=self.versions or None)

    def derive(self, key: Callable[[str], str]) -> SecretConfig:
        """The same configuration with every secret replaced by ``key(secret)`` (purpose keys)."""
        return SecretConfig(
            current=key(self.current),
            versions={version: key(value) for version, value in self.versions.items()},
            current_version=self.current_version,
            legacy=tuple(key(value) for value in self.legacy),
        )

"""Purpose-bound keys for OAuth ciphertexts (``better-auth/src/crypto/purpose.ts``).

Better Auth 1.7.24 encrypts the session token inside link-social state, and the cookie-stored OAuth
state, under keys derived from the secret for that one purpose, so a ciphertext made for one use
never decrypts in another. The derived key is the lowercase hex of
HKDF-SHA256(secret, salt ``better-auth:oauth-encryption:v1``, info ``better-auth:<purpose>:v1``),
used as the "secret" string of :func:`~.symmetric.symmetric_encrypt`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .symmetric import SecretConfig, symmetric_decrypt

Purpose = Literal["oauth-link-session-token", "oauth-state-cookie"]
_SALT = b"better-auth:oauth-encryption:v1"


def derive_purpose_key(secret: str, purpose: Purpose) -> str:
    """The hex key for ``purpose`` derived from ``secret``."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=f"better-auth:{purpose}:v1".encode())
    return hkdf.derive(secret.encode()).hex()


def purpose_encrypt(secrets: str | SecretConfig, purpose: Purpose, plaintext: str) -> str:
    """Encrypt ``plaintext`` for one purpose (Better Auth ``symmetricEncrypt({key: derivePurposeKey(...)})``).

    With versioned secrets the result is an envelope under the current version's purpose key.
    """
    config = secrets if isinstance(secrets, SecretConfig) else SecretConfig(secrets)
    return config.derive(lambda s: derive_purpose_key(s, purpose)).encrypt(plaintext)


def purpose_decrypt(secrets: Sequence[str] | SecretConfig, purpose: Purpose, data: str) -> str:
    """Decrypt a value made by :func:`purpose_encrypt` (any configured version, or an older secret).

    Raises:
        DecryptionError: no configured secret opens it.
    """
    if isinstance(secrets, SecretConfig):
        return secrets.derive(lambda s: derive_purpose_key(s, purpose)).decrypt(data)
    return symmetric_decrypt(data, tuple(derive_purpose_key(s, purpose) for s in secrets))

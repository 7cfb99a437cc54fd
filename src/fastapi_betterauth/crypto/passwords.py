"""Password hashing: Better Auth's scrypt format, and argon2id as an opt-in.

Mirrors ``@better-auth/utils/dist/password.node.mjs``: scrypt N=16384, r=16, p=1, dkLen=64 over the
NFKC-normalised password, salted with the *hex text* of 16 random bytes, stored as
``<saltHex>:<keyHex>``. Functions here are synchronous and CPU-heavy (about 100 ms); callers run
them in a worker thread (see :class:`fastapi_betterauth.hashing.PasswordHashing`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from typing import Protocol

from ..errors import MalformedHashError

SCRYPT_N = 16384
SCRYPT_R = 16
SCRYPT_P = 1
SCRYPT_DKLEN = 64
# hashlib's default maxmem (32 MiB) is exactly 128*N*r and is rejected; give it headroom.
_SCRYPT_MAXMEM = 64 * 1024 * 1024
_SCRYPT_RE = re.compile(r"^[0-9a-fA-F]+:[0-9a-fA-F]+$")


def _scrypt_key(password: str, salt_hex: str) -> bytes:
    return hashlib.scrypt(
        unicodedata.normalize("NFKC", password).encode(),
        salt=salt_hex.encode(),
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=SCRYPT_DKLEN,
        maxmem=_SCRYPT_MAXMEM,
    )


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Hash with Better Auth's scrypt parameters; ``salt`` is for known-answer tests only."""
    salt_hex = (salt if salt is not None else os.urandom(16)).hex()
    return f"{salt_hex}:{_scrypt_key(password, salt_hex).hex()}"


def is_scrypt_hash(password_hash: str) -> bool:
    """Whether a stored value is in Better Auth's scrypt format."""
    return bool(_SCRYPT_RE.match(password_hash))


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against a Better Auth scrypt hash.

    Raises:
        MalformedHashError: when the stored value is not ``<saltHex>:<keyHex>``.
    """
    if not is_scrypt_hash(password_hash):
        raise MalformedHashError("not a Better Auth scrypt hash")
    salt_hex, key_hex = password_hash.split(":", 1)
    return hmac.compare_digest(_scrypt_key(password, salt_hex).hex(), key_hex.lower())


class PasswordHasher(Protocol):
    """A password hashing algorithm. Implementations are synchronous and thread-safe."""

    def hash(self, password: str) -> str:
        """Return the stored form of ``password``."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Check ``password`` against a stored value of *any* supported format."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the stored value should be replaced by ``hash(password)`` after a good sign-in."""
        ...


class ScryptHasher:
    """Better Auth's default: the only format a TypeScript Better Auth server can verify."""

    def hash(self, password: str) -> str:
        """Scrypt hash in Better Auth's format."""
        return hash_password(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Verify scrypt hashes, and argon2 ones left by an earlier configuration."""
        if password_hash.startswith("$argon2"):
            return Argon2Hasher().verify(password_hash, password)
        return verify_password(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """Migrate anything that is not scrypt back to scrypt."""
        return not is_scrypt_hash(password_hash)


class Argon2Hasher:
    """argon2id via argon2-cffi (extra ``[argon2]``).

    Opt-in: a TypeScript Better Auth server sharing the database cannot verify these hashes unless it
    is configured with a matching custom ``password.verify``.
    """

    def __init__(self, *, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 1) -> None:
        try:
            from argon2 import PasswordHasher as _Argon2
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MalformedHashError(
                "argon2 hashes need argon2-cffi: pip install 'fastapi-betterauth-server[argon2]'"
            ) from exc
        self._hasher = _Argon2(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)

    def hash(self, password: str) -> str:
        """An ``$argon2id$`` PHC string."""
        return str(self._hasher.hash(unicodedata.normalize("NFKC", password)))

    def verify(self, password_hash: str, password: str) -> bool:
        """Verify argon2 hashes, and scrypt ones (every user created before the switch)."""
        if is_scrypt_hash(password_hash):
            return verify_password(password_hash, password)
        if not password_hash.startswith("$argon2"):
            raise MalformedHashError("unknown password hash format")
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            return bool(self._hasher.verify(password_hash, unicodedata.normalize("NFKC", password)))
        except VerificationError:
            return False
        except InvalidHashError as exc:
            raise MalformedHashError("malformed argon2 hash") from exc

    def needs_rehash(self, password_hash: str) -> bool:
        """Rehash scrypt values and argon2 values made with other parameters."""
        if not password_hash.startswith("$argon2"):
            return True
        try:
            return bool(self._hasher.check_needs_rehash(password_hash))
        except Exception:  # malformed parameters: replace it
            return True

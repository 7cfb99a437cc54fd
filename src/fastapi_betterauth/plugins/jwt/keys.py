"""The signing keys in the ``jwks`` table: created, encrypted and read exactly as Better Auth does.

Private keys are stored as the JSON string of Better Auth's symmetric ciphertext (``symmetricEncrypt``), so a
TypeScript server sharing the database signs with keys made here and the other way round. The
decrypted signing key is cached (``key_cache_seconds``), so ``get-session`` with the jwt plugin does
not decrypt per request.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..._dates import now
from ...crypto.jwt import JWSSigner, generate_key_pair, key_from_jwk
from ...crypto.random import generate_id
from ...crypto.symmetric import DecryptionError, SecretConfig
from ...db.adapter import Adapter, Row
from ...errors import ConfigurationError
from .options import JWTOptions, KeyPairConfig, SigningOverrides


@dataclass(frozen=True)
class SigningKey:
    """A decrypted private key, ready to sign: its id, algorithm and expiry, and its prepared signer."""

    kid: str
    alg: str
    expires_at: Any
    signer: JWSSigner
    """Signs under ``{"alg", "kid"}``: the header segment and the prepared key are made when the key is read."""


class JWKSKeys:
    """Key management for one auth instance."""

    def __init__(self, options: JWTOptions, adapter: Adapter, secrets: SecretConfig) -> None:
        self.options = options
        self.adapter = adapter
        self.secrets = secrets
        self._cached: dict[str, tuple[float, SigningKey]] = {}
        self._lock = asyncio.Lock()

    def _live(self, row: Row) -> bool:
        expires = row.get("expiresAt")
        return expires is None or expires > now()

    async def rows(self) -> list[Row]:
        """Every stored key."""
        return await self.adapter.find_many("jwks")

    async def create(self, config: KeyPairConfig | None = None) -> Row:
        """A new key pair (the primary configuration unless told), stored with its private half encrypted."""
        o = self.options
        config = config or o.primary
        private, public = generate_key_pair(config.alg, crv=config.crv, modulus_length=config.modulus_length)
        private_json = json.dumps(private, separators=(",", ":"))
        stored = private_json if o.disable_private_key_encryption else json.dumps(self.secrets.encrypt(private_json))
        crv = config.crv or public.get("crv")
        created = now()
        row: Row = {
            "id": generate_id(),
            "publicKey": json.dumps(public, separators=(",", ":")),
            "privateKey": stored,
            "createdAt": created,
            "expiresAt": created + timedelta(seconds=o.rotation_interval) if o.rotation_interval else None,
            "alg": config.alg,
            "crv": crv,
        }
        return await self.adapter.create("jwks", row)

    def forget(self) -> None:
        """Drop the cached signing keys: the next token reads the table again (e.g. after rows were edited)."""
        self._cached.clear()

    async def signing_key(self, overrides: SigningOverrides | None = None) -> SigningKey:
        """The key to sign with, as Better Auth's ``resolveSigningKey`` picks it.

        Unpinned: the newest live key of the primary algorithm (any newest live key otherwise), made if
        none. Pinned to an algorithm: the newest live key of it, minted on first use if ``key_pair_configs``
        (or the primary) names it. Pinned to a ``kid``: that key, which must exist and be live.

        Raises:
            ConfigurationError: a pin that no key or configuration satisfies.
        """
        slot = f"{overrides.key_id or ''}|{overrides.algorithm or ''}" if overrides is not None else "|"
        cached = self._cached.get(slot)
        if cached is not None and time.monotonic() < cached[0] and self._live({"expiresAt": cached[1].expires_at}):
            return cached[1]
        async with self._lock:
            cached = self._cached.get(slot)
            if cached is not None and time.monotonic() < cached[0] and self._live({"expiresAt": cached[1].expires_at}):
                return cached[1]
            if overrides is None or (overrides.key_id is None and overrides.algorithm is None):
                row = self._pick(await self.rows()) or await self.create()
            else:
                row = await self._pinned(overrides)
            key = self._import(row)
            self._cached[slot] = (time.monotonic() + self.options.key_cache_seconds, key)
            return key

    async def _pinned(self, overrides: SigningOverrides) -> Row:
        rows = await self.rows()
        if overrides.key_id is not None:
            row = next((r for r in rows if r["id"] == overrides.key_id), None)
            if row is None:
                raise ConfigurationError(f"sign_jwt: no key with kid {overrides.key_id!r} in the jwks table")
            alg = row.get("alg") or self.options.algorithm
            if overrides.algorithm is not None and alg != overrides.algorithm:
                raise ConfigurationError(
                    f"sign_jwt: key {overrides.key_id!r} is {alg}, not {overrides.algorithm} as asked"
                )
        else:
            assert overrides.algorithm is not None
            row = self._pick(rows, overrides.algorithm, fallback=False)
            if row is None:
                config = self.options.config_for(overrides.algorithm)
                if config is None:
                    extra = ", ".join(c.alg for c in self.options.key_pair_configs) or "none"
                    raise ConfigurationError(
                        f"sign_jwt: no {overrides.algorithm} key: the plugin mints {self.options.algorithm} "
                        f"and, from key_pair_configs, {extra}; add {overrides.algorithm} to key_pair_configs"
                    )
                return await self.create(config)
        if not self._live(row):
            # A pinned key is never replaced silently: rotating it is the operator's decision.
            raise ConfigurationError("sign_jwt: the pinned key has expired; rotate it explicitly")
        return row

    def _pick(self, rows: list[Row], alg: str | None = None, *, fallback: bool = True) -> Row | None:
        wanted = alg or self.options.algorithm
        live = sorted((r for r in rows if self._live(r)), key=lambda r: r["createdAt"], reverse=True)
        preferred = [r for r in live if (r.get("alg") or self.options.algorithm) == wanted]
        candidates = preferred or (live if fallback else [])
        return candidates[0] if candidates else None

    def _import(self, row: Row) -> SigningKey:
        alg = row.get("alg") or self.options.algorithm
        stored = row["privateKey"]
        try:
            if self.options.disable_private_key_encryption:
                private_json = stored
            else:
                private_json = self.secrets.decrypt(json.loads(stored))
            key = key_from_jwk(json.loads(private_json), alg)
        except (DecryptionError, ValueError, TypeError) as error:
            raise ConfigurationError(
                "cannot decrypt the jwks private key: it was made with another BETTER_AUTH_SECRET "
                "(add the old one to previous_secrets, or delete the jwks rows)"
            ) from error
        signer = JWSSigner(key, alg, {"kid": row["id"]})
        return SigningKey(kid=row["id"], alg=alg, expires_at=row.get("expiresAt"), signer=signer)

    async def public_keys(self) -> list[dict[str, Any]]:
        """The ``/jwks`` document's keys: live ones plus expired ones still inside the grace period."""
        return [entry for entry, _ in await self.published()]

    async def published(self) -> list[tuple[dict[str, Any], datetime | None]]:
        """Each published public key with the moment it leaves ``/jwks`` (``None``: never, no rotation)."""
        rows = await self.rows()
        if not rows:
            await self.create()
            rows = await self.rows()
        grace = timedelta(seconds=self.options.grace_period)
        current = now()
        default_crv = self.options.curve if self.options.curve else None
        keys = []
        for row in rows:
            expires = row.get("expiresAt")
            until = expires + grace if expires is not None else None
            if until is not None and until <= current:
                continue
            entry: dict[str, Any] = {"alg": row.get("alg") or self.options.algorithm}
            crv = row.get("crv") or default_crv
            if crv is not None:
                entry["crv"] = crv
            entry.update(json.loads(row["publicKey"]))
            entry["kid"] = row["id"]
            keys.append((entry, until))
        return keys

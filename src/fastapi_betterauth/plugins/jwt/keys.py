"""The signing keys in the ``jwks`` table: created, encrypted and read exactly as Better Auth does.

Private keys are stored as the JSON string of Better Auth's symmetric ciphertext (§9.1), so a
TypeScript server sharing the database signs with keys made here and the other way round. The
decrypted signing key is cached (``key_cache_seconds``), so ``get-session`` with the jwt plugin does
not decrypt per request.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..._dates import now
from ...crypto.jwt import generate_key_pair, key_from_jwk
from ...crypto.random import generate_id
from ...crypto.symmetric import DecryptionError, SecretConfig
from ...db.adapter import Adapter, Row
from ...errors import ConfigurationError
from .options import JWTOptions


@dataclass(frozen=True)
class SigningKey:
    """A decrypted, imported private key and what the JWT header needs."""

    kid: str
    alg: str
    key: Any
    expires_at: Any


class JWKSKeys:
    """Key management for one auth instance."""

    def __init__(self, options: JWTOptions, adapter: Adapter, secrets: SecretConfig) -> None:
        self.options = options
        self.adapter = adapter
        self.secrets = secrets
        self._cached: tuple[float, SigningKey] | None = None
        self._lock = asyncio.Lock()

    def _live(self, row: Row) -> bool:
        expires = row.get("expiresAt")
        return expires is None or expires > now()

    async def rows(self) -> list[Row]:
        """Every stored key."""
        return await self.adapter.find_many("jwks")

    async def create(self) -> Row:
        """A new key pair of the configured algorithm, stored with its private half encrypted."""
        o = self.options
        private, public = generate_key_pair(o.algorithm, crv=o.curve, modulus_length=o.modulus_length)
        private_json = json.dumps(private, separators=(",", ":"))
        stored = private_json if o.disable_private_key_encryption else json.dumps(self.secrets.encrypt(private_json))
        crv = o.curve or public.get("crv")
        created = now()
        row: Row = {
            "id": generate_id(),
            "publicKey": json.dumps(public, separators=(",", ":")),
            "privateKey": stored,
            "createdAt": created,
            "expiresAt": created + timedelta(seconds=o.rotation_interval) if o.rotation_interval else None,
            "alg": o.algorithm,
            "crv": crv,
        }
        return await self.adapter.create("jwks", row)

    async def signing_key(self) -> SigningKey:
        """The newest live key of the configured algorithm (any newest live key otherwise), created if none."""
        cached = self._cached
        if cached is not None and time.monotonic() < cached[0] and self._live({"expiresAt": cached[1].expires_at}):
            return cached[1]
        async with self._lock:
            cached = self._cached
            if cached is not None and time.monotonic() < cached[0] and self._live({"expiresAt": cached[1].expires_at}):
                return cached[1]
            row = self._pick(await self.rows()) or await self.create()
            key = self._import(row)
            self._cached = (time.monotonic() + self.options.key_cache_seconds, key)
            return key

    def _pick(self, rows: list[Row]) -> Row | None:
        live = sorted((r for r in rows if self._live(r)), key=lambda r: r["createdAt"], reverse=True)
        preferred = [r for r in live if (r.get("alg") or self.options.algorithm) == self.options.algorithm]
        candidates = preferred or live
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
        return SigningKey(kid=row["id"], alg=alg, key=key, expires_at=row.get("expiresAt"))

    async def public_keys(self) -> list[dict[str, Any]]:
        """The ``/jwks`` document's keys: live ones plus expired ones still inside the grace period."""
        rows = await self.rows()
        if not rows:
            await self.create()
            rows = await self.rows()
        cutoff = now() - timedelta(seconds=self.options.grace_period)
        default_crv = self.options.curve if self.options.curve else None
        keys = []
        for row in rows:
            expires = row.get("expiresAt")
            if expires is not None and expires <= cutoff:
                continue
            entry: dict[str, Any] = {"alg": row.get("alg") or self.options.algorithm}
            crv = row.get("crv") or default_crv
            if crv is not None:
                entry["crv"] = crv
            entry.update(json.loads(row["publicKey"]))
            entry["kid"] = row["id"]
            keys.append(entry)
        return keys

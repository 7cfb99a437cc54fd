"""Issuing and (locally) verifying the plugin's JWTs, with Better Auth's claims and header."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..._dates import to_iso
from ...crypto.jwt import JWTError, algorithm_fits_key, decode_jwt, encode_jwt, key_from_jwk, unverified_header
from ...errors import CryptoError
from .keys import JWKSKeys
from .options import JWTOptions


def json_safe(value: Any) -> Any:
    """Rows as JSON would carry them (dates as ``toISOString()``), as the claims of Better Auth's tokens."""
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


async def issue_token(
    keys: JWKSKeys, options: JWTOptions, session: Mapping[str, Any], user: Mapping[str, Any], base: str
) -> str:
    """A JWT for this session: ``iat``, the user (or ``define_payload``), ``sub``, ``exp``, ``iss``, ``aud``."""
    key = await keys.signing_key()
    iat = int(time.time())
    if options.define_payload is not None:
        built = options.define_payload(session, user)
        payload: Any = await built if inspect.isawaitable(built) else built
    else:
        payload = user
    claims: dict[str, Any] = {"iat": iat, **json_safe(dict(payload))}
    claims["sub"] = str(user["id"])
    claims["iat"] = iat
    claims["exp"] = iat + options.expiration_time
    claims["iss"] = options.issuer or base
    claims["aud"] = options.audience or base
    if options.revocation:
        claims["sid"] = str(session["id"])
    return encode_jwt(claims, key.key, key.alg, headers={"kid": key.kid})


class LocalVerifier:
    """Verifies this server's own JWTs against the ``jwks`` table (what ``current_user`` uses for JWT callers)."""

    def __init__(self, keys: JWKSKeys, options: JWTOptions, *, leeway: float = 5) -> None:
        self.keys = keys
        self.options = options
        self.leeway = leeway
        self._public: dict[str, tuple[str, Any]] = {}
        self._fetched = float("-inf")
        self._lock = asyncio.Lock()

    async def _key(self, kid: str) -> tuple[str, Any] | None:
        found = self._public.get(kid)
        if found is not None:
            return found
        # One reload at a time: requests that arrive while it runs wait for it instead of being refused
        # (a new key's first burst of tokens), and unknown kids reload at most once a second.
        async with self._lock:
            found = self._public.get(kid)
            if found is not None or time.monotonic() - self._fetched <= 1:
                return found
            public: dict[str, tuple[str, Any]] = {}
            for entry in await self.keys.public_keys():
                alg = entry["alg"]
                jwk = {k: v for k, v in entry.items() if k not in ("alg", "kid")}
                if not algorithm_fits_key(alg, jwk):
                    continue
                try:
                    public[entry["kid"]] = (alg, key_from_jwk(jwk, alg))
                except CryptoError:
                    continue
            self._public = public
            self._fetched = time.monotonic()
            return self._public.get(kid)

    async def verify(self, token: str, base: str) -> dict[str, Any]:
        """Claims of a valid token issued by this server (or one sharing its ``jwks`` table).

        Raises:
            JWTError: anything wrong with it.
        """
        header = unverified_header(token)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise JWTError("no kid", reason="kid")
        found = await self._key(kid)
        if found is None:
            raise JWTError("unknown kid", reason="kid")
        alg, key = found
        if header.get("alg") != alg:
            raise JWTError("algorithm does not match the key", reason="algorithm")
        claims = decode_jwt(
            token,
            key,
            [alg],
            issuer=self.options.issuer or base,
            audience=self.options.audience or base,
            leeway=self.leeway,
            require=("exp", "sub"),
        )
        if not claims.get("sub"):
            raise JWTError("empty sub")
        return claims


def dumps_compact(value: Any) -> str:
    """``JSON.stringify`` of a value."""
    return json.dumps(value, separators=(",", ":"))

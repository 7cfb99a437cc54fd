"""Issuing and (locally) verifying the plugin's JWTs, with Better Auth's claims and header."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..._dates import now, to_iso
from ...crypto.jwt import (
    JWTError,
    VerifiedTokens,
    algorithm_fits_key,
    key_from_jwk,
    unverified_header,
)
from ...errors import CryptoError
from .keys import JWKSKeys
from .options import JWTOptions, SigningOverrides

_PLAIN = (str, int, bool, float, type(None))


def json_safe(value: Any) -> Any:
    """Rows as JSON would carry them (dates as ``toISOString()``), as the claims of Better Auth's tokens."""
    if type(value) in _PLAIN:  # most row values, without the Mapping ABC check
        return value
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


async def _resolved(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def sign_claims(
    keys: JWKSKeys,
    options: JWTOptions,
    payload: Mapping[str, Any],
    base: str,
    *,
    overrides: SigningOverrides | None = None,
    header: Mapping[str, str] | None = None,
) -> str:
    """Better Auth's ``signJWT``: ``exp``/``iss``/``aud`` filled in unless given, then signed.

    With ``jwt(sign=...)`` the claims go to that signer (a KMS); otherwise to the newest key (or the
    pinned one) of the ``jwks`` table, whose ``kid`` and ``alg`` win over any ``header`` member.
    """
    claims: dict[str, Any] = dict(payload)
    iat = claims.get("iat")
    claims["exp"] = claims.get("exp") or (iat if isinstance(iat, int) else int(time.time())) + options.expiration_time
    claims["iss"] = claims.get("iss") or options.issuer or base
    claims["aud"] = claims.get("aud") or options.audience or base
    if options.sign is not None:
        signed = await _resolved(options.sign(claims, header, overrides or SigningOverrides()))
        if not isinstance(signed, str):
            raise CryptoError("jwt(sign=...) must return the compact JWT as a string")
        return signed
    key = await keys.signing_key(overrides)
    extra = {k: v for k, v in (header or {}).items() if k not in ("alg", "kid")}
    signer = key.signer.with_header({**extra, "kid": key.kid}) if extra else key.signer
    return signer.encode(claims)


async def issue_token(
    keys: JWKSKeys, options: JWTOptions, session: Mapping[str, Any], user: Mapping[str, Any], base: str
) -> str:
    """A JWT for this session: ``iat``, the user (or ``define_payload``), ``sub``, ``exp``, ``iss``, ``aud``."""
    iat = int(time.time())
    if options.define_payload is not None:
        payload: Any = await _resolved(options.define_payload(session, user))
    else:
        payload = user
    claims: dict[str, Any] = {"iat": iat, **json_safe(payload if isinstance(payload, Mapping) else dict(payload))}
    subject = await _resolved(options.get_subject(session, user)) if options.get_subject is not None else None
    claims["sub"] = str(subject or user["id"])
    claims["iat"] = iat
    claims["exp"] = iat + options.expiration_time
    claims["iss"] = options.issuer or base
    claims["aud"] = options.audience or base
    if options.revocation:
        claims["sid"] = str(session["id"])
    return await sign_claims(keys, options, claims, base)


def _published(found: tuple[str, Any, datetime | None]) -> tuple[str, Any] | None:
    """The algorithm and key, unless the key has left ``/jwks`` since this process imported it (rotation)."""
    alg, key, until = found
    return (alg, key) if until is None or now() < until else None


class LocalVerifier:
    """Verifies this server's own JWTs against the ``jwks`` table (what ``current_user`` uses for JWT callers)."""

    def __init__(self, keys: JWKSKeys, options: JWTOptions, *, leeway: float = 5) -> None:
        self.keys = keys
        self.options = options
        self.leeway = leeway
        self._public: dict[str, tuple[str, Any, datetime | None]] = {}
        self._fetched = float("-inf")
        self._lock = asyncio.Lock()
        self._verified = VerifiedTokens()

    async def _key(self, kid: str) -> tuple[str, Any] | None:
        found = self._public.get(kid)
        if found is not None:
            return _published(found)
        # One reload at a time: requests that arrive while it runs wait for it instead of being refused
        # (a new key's first burst of tokens), and unknown kids reload at most once a second.
        async with self._lock:
            found = self._public.get(kid)
            if found is not None or time.monotonic() - self._fetched <= 1:
                return _published(found) if found is not None else None
            public: dict[str, tuple[str, Any, datetime | None]] = {}
            for entry, until in await self.keys.published():
                alg = entry["alg"]
                jwk = {k: v for k, v in entry.items() if k not in ("alg", "kid")}
                if not algorithm_fits_key(alg, jwk):
                    continue
                try:
                    public[entry["kid"]] = (alg, key_from_jwk(jwk, alg), until)
                except CryptoError:
                    continue
            self._public = public
            self._fetched = time.monotonic()
            loaded = public.get(kid)
            return _published(loaded) if loaded is not None else None

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
        claims = self._verified.decode(
            token,
            key,
            (alg,),
            issuer=self.options.issuer or base,
            audience=self.options.audience or base,
            leeway=self.leeway,
            require=("exp", "sub"),
        )
        if not claims.get("sub"):
            raise JWTError("empty sub")
        return claims

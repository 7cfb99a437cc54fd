"""Verifying JWTs issued by a Better Auth server (TypeScript or this one): the resource-server side.

Two modes: a remote JWKS (``jwks_url``, Better Auth's ``/api/auth/jwks``; keys cached, refetched on
an unknown ``kid`` at most every ``refetch_interval`` seconds, the last good set kept while the
endpoint is down but for at most ``max_stale`` seconds, and a circuit breaker that stops fetching
from an issuer that keeps failing), or an HS256 shared secret (``secret``, for apps that mint their
own tokens with ``BETTER_AUTH_SECRET``). Only algorithms in ``algorithms`` are accepted, an HMAC
algorithm is never accepted with a public key and the other way round, and ``exp``/``nbf``/``iss``/
``aud`` are checked with a small ``leeway``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..crypto.jwt import (
    ASYMMETRIC_ALGORITHMS,
    JWTError,
    VerifiedTokens,
    algorithm_fits_key,
    key_from_jwk,
    unverified_header,
)
from ..errors import ConfigurationError, CryptoError
from ..plugins.jwt.revocation import RevocationList
from ..settings import DEV_DEFAULT_SECRET
from ..storage.secondary import SecondaryStorage

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("fastapi_betterauth.resource")

HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")


class JWKSUnavailableError(JWTError):
    """No trustworthy key set (never fetched, or the last good one is older than ``max_stale``).

    Not the caller's fault, so the dependencies answer 503 ``JWKS_UNAVAILABLE`` rather than 401: a
    client that drops its token on a 401 would sign its user out over an issuer outage.
    """

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, reason="jwks_unavailable")
        self.retry_after = retry_after
        """Seconds until the verifier may fetch the key set again (for ``Retry-After``)."""


@dataclass(frozen=True, slots=True)
class JWKSState:
    """The remote key set's health, for readiness checks and metrics (``verifier.jwks_state``)."""

    status: Literal["fresh", "stale", "unavailable"]
    """``fresh`` within ``cache_seconds`` of the last good fetch, ``stale`` past it but within
    ``max_stale`` (still used), ``unavailable`` never fetched or past ``max_stale`` (tokens refused)."""
    age: float | None
    """Seconds since the last successful fetch; ``None`` if there was none (or keys are static)."""
    circuit: Literal["closed", "open", "half-open"]
    """``open``: no fetch until the cooldown ends; ``half-open``: the next fetch is the trial."""
    consecutive_failures: int


class JWTVerifier:
    """Verify Better Auth JWTs; ``await verifier.verify(token)`` returns the claims or raises ``JWTError``.

    Args:
        jwks_url: the issuer's key set, e.g. ``https://auth.example.com/api/auth/jwks``.
        jwks: a static key set (``{"keys": [...]}``) instead of a URL.
        secret: HS256 shared secret instead of keys.
        issuer: required ``iss`` (Better Auth's default is its base URL); ``None`` skips the check.
        audience: required ``aud`` (Better Auth's default is its base URL); ``None`` skips the check.
        algorithms: the allow-list (default: EdDSA and the other asymmetric algorithms Better Auth
            offers in key mode; HS256 in secret mode).
        leeway: clock skew tolerated on ``exp``/``nbf``, seconds.
        cache_seconds: how long a fetched key set is used before it is refetched.
        refetch_interval: minimum seconds between fetches triggered by unknown ``kid`` values (and
            between retries of a stale set).
        max_stale: how long after the last *successful* fetch the key set is still used while the
            issuer fails; past it tokens are refused (``reason="jwks_unavailable"``, HTTP 503) rather
            than trusting keys the issuer may have revoked. At least ``cache_seconds``.
        breaker_threshold: consecutive failed fetches that open the circuit: no fetch at all for a
            cooldown of ``refetch_interval`` seconds, doubled per further failure up to
            ``breaker_max_cooldown``, then one trial fetch. An outage or a flood of forged kids thus
            never hammers the issuer; a success closes the circuit.
        breaker_max_cooldown: the longest cooldown, seconds.
        timeout: HTTP timeout for the key set.
        client: an ``httpx.AsyncClient`` to use (tests, proxies).
        revocations: the issuer's secondary storage (e.g. the ``RedisStorage`` it was given), to refuse
            JWTs whose session ended when the issuer runs ``jwt(revocation=True)``: one lookup per token.
        clock: monotonic seconds; injectable so tests can travel in time.
    """

    def __init__(
        self,
        *,
        jwks_url: str | None = None,
        jwks: Mapping[str, Any] | None = None,
        secret: str | None = None,
        issuer: str | Iterable[str] | None = None,
        audience: str | Iterable[str] | None = None,
        algorithms: Iterable[str] | None = None,
        leeway: float = 5,
        cache_seconds: float = 300,
        refetch_interval: float = 30,
        max_stale: float = 86400,
        breaker_threshold: int = 3,
        breaker_max_cooldown: float = 300,
        timeout: float = 5,
        client: httpx.AsyncClient | None = None,
        revocations: SecondaryStorage | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        modes = sum(x is not None for x in (jwks_url, jwks, secret))
        if modes != 1:
            raise ConfigurationError("JWTVerifier needs exactly one of jwks_url=, jwks= or secret=")
        if secret is not None and secret == DEV_DEFAULT_SECRET:
            # Anyone can sign with a published secret: accepting its tokens would let anyone in.
            raise ConfigurationError("JWTVerifier(secret=...) refuses Better Auth's public development secret")
        self.secret = secret
        self._secret_key = secret.encode() if secret is not None else b""  # one object: VerifiedTokens keys by it
        self.jwks_url = jwks_url
        default = ("HS256",) if secret is not None else ASYMMETRIC_ALGORITHMS
        self.algorithms = tuple(algorithms or default)
        if secret is not None and any(a not in HMAC_ALGORITHMS for a in self.algorithms):
            raise ConfigurationError("with secret=, only HS256/HS384/HS512 may be allowed")
        if secret is None and any(a in HMAC_ALGORITHMS or a == "none" for a in self.algorithms):
            raise ConfigurationError("with public keys, HMAC algorithms (and 'none') may not be allowed")
        if jwks_url is not None and max_stale < cache_seconds:
            # Otherwise a key set would be refused before it is even due for a refresh.
            raise ConfigurationError("JWTVerifier(max_stale=...) must be at least cache_seconds")
        if breaker_threshold < 1:
            raise ConfigurationError("JWTVerifier(breaker_threshold=...) must be at least 1")
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.cache_seconds = cache_seconds
        self.refetch_interval = refetch_interval
        self.max_stale = max_stale
        self.breaker_threshold = breaker_threshold
        self.breaker_max_cooldown = breaker_max_cooldown
        self.timeout = timeout
        self._clock = clock
        self._client = client
        self._revocations = RevocationList(revocations, token_lifetime=0) if revocations is not None else None
        self._keys: dict[str, tuple[str | None, dict[str, Any]]] = {}
        self._imported: dict[tuple[str, str], Any] = {}
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._kid_refetch_at = float("-inf")
        self._fetches_ended = 0
        self._failures = 0
        self._open_until = float("-inf")
        self._lock = asyncio.Lock()
        self._verified = VerifiedTokens()
        if jwks is not None:
            self._load(jwks)
            self._fetched_at = float("inf")

    def _load(self, document: object) -> None:
        keys = document.get("keys") if isinstance(document, Mapping) else None
        if not isinstance(keys, list):
            raise CryptoError("not a JWK set")
        loaded: dict[str, tuple[str | None, dict[str, Any]]] = {}
        for entry in keys:
            if isinstance(entry, dict) and isinstance(entry.get("kid"), str):
                alg = entry.get("alg") if isinstance(entry.get("alg"), str) else None
                loaded[entry["kid"]] = (
                    alg,
                    {k: v for k, v in entry.items() if k not in ("alg", "kid", "use", "key_ops")},
                )
        self._keys = loaded
        self._imported.clear()

    async def _fetch(self) -> None:
        import httpx  # on the first fetch: a server verifying only its own tokens never loads an HTTP client

        assert self.jwks_url is not None
        self._attempted_at = self._clock()
        try:
            if self._client is not None:
                response = await self._client.get(self.jwks_url, timeout=self.timeout)
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.get(self.jwks_url)
            response.raise_for_status()
            self._load(response.json())
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, CryptoError) as error:
            # The last good key set stays in use (up to max_stale): a short outage of the issuer must
            # not log everybody out.
            self._fetches_ended += 1
            self._failed(type(error).__name__)
            return
        self._fetches_ended += 1
        self._fetched_at = self._clock()
        if self._failures >= self.breaker_threshold:
            logger.info("JWKS circuit closed: %s answers again", self.jwks_url)
        self._failures = 0
        self._open_until = float("-inf")

    def _failed(self, error: str) -> None:
        """Count a failed fetch; at ``breaker_threshold`` in a row, open the circuit (logged once)."""
        self._failures += 1
        beyond = self._failures - self.breaker_threshold
        if beyond < 0:
            logger.warning("could not fetch the JWKS from %s: %s", self.jwks_url, error)
            return
        cooldown = min(self.refetch_interval * 2 ** min(beyond, 32), self.breaker_max_cooldown)
        self._open_until = self._clock() + cooldown
        if beyond == 0:
            logger.warning(
                "JWKS circuit open: %d failed fetches in a row from %s (last: %s); no fetch for %.0f s, "
                "then one trial per cooldown (up to %.0f s)",
                self._failures,
                self.jwks_url,
                error,
                cooldown,
                self.breaker_max_cooldown,
            )
        else:
            logger.debug("JWKS trial fetch failed (%s); next trial in %.0f s", error, cooldown)

    async def _key_entry(self, kid: str) -> tuple[str | None, dict[str, Any]] | None:
        if self.jwks_url is not None:
            now = self._clock()
            in_flight = self._lock.locked()
            if in_flight and kid in self._keys and self._usable(now):
                pass  # a known kid in a usable set need not queue behind a slow refresh
            elif in_flight or self._fetch_due(kid, now) is not None:
                ended = self._fetches_ended
                async with self._lock:
                    # Decided again under the lock; a fetch that ended while we waited (good or bad)
                    # answered our question too, so a burst of requests makes one fetch, not two.
                    now = self._clock()
                    due = self._fetch_due(kid, now) if self._fetches_ended == ended else None
                    if due is not None:
                        if due == "kid":
                            self._kid_refetch_at = now
                        await self._fetch()
        now = self._clock()
        if not self._usable(now):
            wait = max(now, self._open_until, self._attempted_at + self.refetch_interval) - now
            raise JWKSUnavailableError("the issuer's key set is unavailable", retry_after=max(1, math.ceil(wait)))
        return self._keys.get(kid)

    def _fetch_due(self, kid: str, now: float) -> Literal["stale", "kid"] | None:
        """Why to fetch now: a stale set, or an unknown ``kid``, each at most every ``refetch_interval``.

        Never while the circuit is open. Forged kids therefore cannot make us hammer the issuer, nor
        can an issuer outage.
        """
        if now < self._open_until:
            return None
        if now - self._fetched_at > self.cache_seconds and now - self._attempted_at >= self.refetch_interval:
            return "stale"
        if kid not in self._keys and self._usable(now) and now - self._kid_refetch_at >= self.refetch_interval:
            return "kid"  # a key rotated into a set we have; without a usable set the line above rules
        return None

    def _usable(self, now: float) -> bool:
        """Whether the key set may be trusted: fetched, and at most ``max_stale`` seconds ago."""
        return self._fetched_at != float("-inf") and now - self._fetched_at <= self.max_stale

    @property
    def jwks_state(self) -> JWKSState:
        """The key set's health now (static keys and secrets are always ``fresh``)."""
        if self.jwks_url is None:
            return JWKSState(status="fresh", age=None, circuit="closed", consecutive_failures=0)
        now = self._clock()
        age = None if self._fetched_at == float("-inf") else now - self._fetched_at
        status: Literal["fresh", "stale", "unavailable"] = "fresh"
        if age is None or age > self.max_stale:
            status = "unavailable"
        elif age > self.cache_seconds:
            status = "stale"
        circuit: Literal["closed", "open", "half-open"] = "closed"
        if self._failures >= self.breaker_threshold:
            circuit = "open" if now < self._open_until else "half-open"
        return JWKSState(status=status, age=age, circuit=circuit, consecutive_failures=self._failures)

    async def ensure_keys(self) -> JWKSState:
        """Fetch the key set now if none is usable (keys are otherwise fetched by the first token); the state.

        What a readiness check calls: a fresh process is not ready until it has the issuer's keys. The
        fetch honours ``refetch_interval`` and the circuit breaker, so frequent probes never hammer the
        issuer.
        """
        if self.jwks_url is not None and not self._usable(self._clock()):
            with contextlib.suppress(JWKSUnavailableError):
                await self._key_entry("")  # no such kid: only the "no usable set" fetch can be due
        return self.jwks_state

    async def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid token.

        Raises:
            JWTError: missing/malformed/expired/not-yet-valid token, wrong signature, algorithm,
                issuer or audience, unknown ``kid``, or an empty ``sub`` (``.reason`` says which).
            JWKSUnavailableError: a ``JWTError`` with ``reason="jwks_unavailable"``: no key set
                fetched within ``max_stale`` seconds.
        """
        header = unverified_header(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise JWTError(f"algorithm {alg!r} is not allowed", reason="algorithm")
        if self.secret is not None:
            key: Any = self._secret_key
        else:
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                raise JWTError("token has no kid", reason="kid")
            entry = await self._key_entry(kid)
            if entry is None:
                raise JWTError("unknown kid", reason="kid")
            key_alg, jwk = entry
            if (key_alg is not None and key_alg != alg) or not algorithm_fits_key(alg, jwk):
                raise JWTError("algorithm does not match the key", reason="algorithm")
            key = self._imported.get((kid, alg))
            if key is None:
                try:
                    key = self._imported[(kid, alg)] = key_from_jwk(jwk, alg)
                except CryptoError:
                    raise JWTError("unusable key", reason="kid") from None
        claims = self._verified.decode(
            token,
            key,
            (alg,),
            issuer=self.issuer,
            audience=self.audience,
            leeway=self.leeway,
            require=("exp", "sub"),
        )
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise JWTError("token has no subject", reason="sub")
        if self._revocations is not None:
            await self._revocations.check(claims)
        return claims

"""Better Auth's rate limiter (protocol §6.3), with its memory store.

Mirrors ``better-auth/dist/api/rate-limiter/index.mjs``: on by default only in production; 100
requests per 10 s per client IP and path, 3 per 10 s on sign-in/sign-up/change-password/change-email,
3 per 60 s on the e-mail sending routes; 429 with ``X-Retry-After``. The window slides with each
accepted request, exactly as Better Auth counts.

One safer default: when no client IP can be read from the configured headers, Better Auth puts every
such client in one shared bucket, so one abuser can lock everybody out of sign-in. Here the TCP peer
address keys the bucket instead (it is never stored as the session's IP).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

from ..errors import AuthError
from ..settings import RateLimitSettings

_STRICT_PREFIXES = ("/sign-in", "/sign-up", "/change-password", "/change-email")
_MAIL_PATHS = ("/request-password-reset", "/send-verification-email")
_MAIL_PREFIXES = ("/forget-password", "/email-otp/send-verification-otp", "/email-otp/request-password-reset")
MESSAGE = "Too many requests. Please try again later."


@dataclass(frozen=True, slots=True)
class Rule:
    """``max`` requests per ``window`` seconds."""

    window: int
    max: int


def _custom_rule(settings: RateLimitSettings, path: str) -> Rule | bool | None:
    for pattern, rule in settings.custom_rules.items():
        matched = path.startswith(pattern[:-1]) if pattern.endswith("*") else path == pattern
        if matched:
            if rule is False:
                return False
            if isinstance(rule, dict):
                return Rule(int(rule["window"]), int(rule["max"]))
    return None


def rule_for(settings: RateLimitSettings, path: str) -> Rule | None:
    """The rule for ``path`` (relative to the base path), or ``None`` when it is not limited."""
    custom = _custom_rule(settings, path)
    if custom is False:
        return None
    if isinstance(custom, Rule):
        return custom
    if path.startswith(_STRICT_PREFIXES):
        return Rule(10, 3)
    if path in _MAIL_PATHS or path.startswith(_MAIL_PREFIXES):
        return Rule(60, 3)
    return Rule(settings.window, settings.max)


class MemoryRateLimiter:
    """Per-process counters keyed by ``<ip>|<path>``; old keys are swept so memory stays bounded."""

    def __init__(self, settings: RateLimitSettings) -> None:
        self.settings = settings
        self._buckets: dict[str, tuple[int, float]] = {}
        self._lock = asyncio.Lock()
        self._last_sweep = time.monotonic()

    async def hit(self, ip: str, path: str) -> AuthError | None:
        """Count a request; return the 429 error when it is over the limit."""
        rule = rule_for(self.settings, path)
        if rule is None:
            return None
        key = f"{ip}|{path}"
        now = time.monotonic()
        async with self._lock:
            self._sweep(now)
            count, last = self._buckets.get(key, (0, now))
            if count and now - last < rule.window and count >= rule.max:
                retry_after = math.ceil(last + rule.window - now)
                return AuthError(429, None, MESSAGE, headers={"X-Retry-After": str(max(retry_after, 1))})
            if not count or now - last >= rule.window:
                self._buckets[key] = (1, now)
            else:
                self._buckets[key] = (count + 1, now)
        return None

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < 60:
            return
        self._last_sweep = now
        horizon = max(
            60,
            self.settings.window,
            *(int(r["window"]) for r in self.settings.custom_rules.values() if isinstance(r, dict)),
        )
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < horizon}

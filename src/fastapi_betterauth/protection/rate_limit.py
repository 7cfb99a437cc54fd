"""Better Auth's rate limiter (``rateLimit``), keyed on the real client address.

Rules and answers are Better Auth 1.7.24's (``better-auth/dist/api/rate-limiter/index.mjs``): 100
requests per 10 s per client and path, 3 per 10 s on sign-in/sign-up/change-password/change-email,
3 per 60 s on the e-mail sending routes, ``customRules`` over both; 429 with ``X-Retry-After``.

Two defaults differ, because Better Auth's are footguns: it is on in every environment but ``test``
(Better Auth: production only), and the key is the client address from
:mod:`~fastapi_betterauth.protection.client_address` (the TCP peer unless trusted proxies are
configured), never a forwarding header anyone can write.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import cache

from ..errors import AuthError
from ..protocol.endpoint import AuthRequest
from ..settings import RateLimitSettings
from .client_address import ProxyTrust
from .counters import Counters, Rule

_STRICT_PREFIXES = ("/sign-in", "/sign-up", "/change-password", "/change-email")
_MAIL_PATHS = ("/request-password-reset", "/send-verification-email")
_MAIL_PREFIXES = ("/forget-password", "/email-otp/send-verification-otp", "/email-otp/request-password-reset")
MESSAGE = "Too many requests. Please try again later."


@cache
def _wildcard(pattern: str) -> re.Pattern[str]:
    """Better Auth's ``wildcardMatch`` without a separator: ``*`` is any run of characters, ``?`` one."""
    parts = (".*?" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def _custom_rule(settings: RateLimitSettings, path: str) -> Rule | bool | None:
    for pattern, rule in settings.custom_rules.items():
        matched = _wildcard(pattern).match(path) is not None if "*" in pattern else path == pattern
        if matched:
            if rule is False:
                return False
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


def longest_window(settings: RateLimitSettings) -> int:
    """The longest window any rule uses (how long a counter row can matter)."""
    custom = (int(rule["window"]) for rule in settings.custom_rules.values() if rule is not False)
    return max(settings.window, 60, *custom)


class RateLimiter:
    """Counts each request against its rule, keyed ``<client>|<path>`` as Better Auth keys it."""

    def __init__(
        self, settings: RateLimitSettings, counters: Counters, trust: ProxyTrust, *, hide_addresses: str | None = None
    ) -> None:
        self.settings = settings
        self.counters = counters
        self.trust = trust
        self._hide_key = hide_addresses.encode() if hide_addresses else None

    def key(self, request: AuthRequest) -> str | None:
        """``<client>|<path>``; ``None`` for a server-side call, which has no network client to limit."""
        client = self.trust.client(request)
        if client is None:
            return None
        if self._hide_key is not None:  # disable_ip_tracking: count per client without storing its address
            client = "h-" + hmac.new(self._hide_key, client.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{client}|{request.path.rstrip('/') or '/'}"

    async def check(self, request: AuthRequest) -> AuthError | None:
        """Count the request; the 429 answer when it is over its limit."""
        rule = rule_for(self.settings, request.path)
        key = self.key(request) if rule is not None else None
        if rule is None or key is None:
            return None
        decision = await self.counters.consume(key, rule)
        if decision.allowed:
            return None
        return AuthError(429, None, MESSAGE, headers={"X-Retry-After": str(decision.retry_after)})

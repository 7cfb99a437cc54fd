"""Abuse protection: who the client is, how often it may ask, and account lockout."""

from __future__ import annotations

from ..db.adapter import Adapter
from ..settings import AuthSettings
from ..storage.secondary import SecondaryStorage
from .client_address import ProxyTrust
from .counters import Counters, DatabaseCounters, MemoryCounters, StorageCounters
from .lockout import LockListener, Lockout
from .rate_limit import RateLimiter, longest_window

__all__ = ["Lockout", "ProxyTrust", "RateLimiter", "proxy_trust", "rate_limit_storage", "rate_limiter"]


def proxy_trust(settings: AuthSettings) -> ProxyTrust:
    """The deployment's trusted proxies, compiled."""
    advanced = settings.advanced
    return ProxyTrust.from_entries(
        advanced.trusted_proxies,
        hops=advanced.trusted_proxy_hops,
        headers=advanced.ip_address_headers,
        ipv6_subnet=advanced.ipv6_subnet,
    )


def rate_limit_storage(settings: AuthSettings, secondary: SecondaryStorage | None) -> str:
    """``memory``, ``database`` or ``secondary-storage``: the configured one, else Better Auth's default."""
    chosen = settings.rate_limit.storage
    if chosen is None:
        return "secondary-storage" if secondary is not None else "memory"
    return chosen


def rate_limiter(
    settings: AuthSettings, adapter: Adapter, secondary: SecondaryStorage | None, secret: str
) -> RateLimiter | None:
    """The limiter, or ``None`` when disabled (by default only in the ``test`` environment)."""
    enabled = settings.rate_limit.enabled
    if enabled is None:
        enabled = settings.environment != "test"
    if not enabled:
        return None
    kind = rate_limit_storage(settings, secondary)
    counters: Counters
    if kind == "database":
        counters = DatabaseCounters(adapter, longest_window=longest_window(settings.rate_limit))
    elif kind == "secondary-storage":
        if secondary is None:
            from ..errors import ConfigurationError

            raise ConfigurationError('rate_limit.storage = "secondary-storage" needs BetterAuth(secondary_storage=...)')
        counters = StorageCounters(secondary)
    else:
        counters = MemoryCounters()
    hide = secret if settings.advanced.disable_ip_tracking else None
    return RateLimiter(settings.rate_limit, counters, proxy_trust(settings), hide_addresses=hide)


def lockout(settings: AuthSettings, storage: SecondaryStorage, secret: str, on_change: LockListener) -> Lockout:
    """The account lockout over ``storage`` (the shared secondary storage, or a per-process one)."""
    return Lockout(settings.lockout, storage, secret, on_change)

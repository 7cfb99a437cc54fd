"""The one URL trust check: every redirect target, mailed callback and Origin/Referer goes through ``trust_url``.

Mirrors ``better-auth/dist/auth/trusted-origins.mjs`` (``matchesOriginPattern``) with
the URL read by a WHATWG parser (``ada``, Node's own), so the host we trust is the host a browser
visits. Stricter than Better Auth where its rules leave room for a parser differential: backslashes,
control characters and user-info are refused in absolute URLs, and only http(s) (or a custom scheme
the application listed, for mobile deep links) is accepted. The caller emits the string ``trust_url``
returns, never the raw input: the URL that was trusted is the URL that is sent.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from urllib.parse import unquote

from ..errors import ConfigurationError
from .urls import RELATIVE_BASE, origin_of, parse_url

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 controls, DEL and C1 controls (Better Auth's ``CONTROL_CHARACTER_PATTERN``)."""
_ENCODED_SEPARATOR = re.compile(r"%2f|%5c", re.IGNORECASE)
_IP_WILDCARD_HOST = re.compile(r"^(?=.*\d)[\d*?.]+$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_HTTP = frozenset({"http", "https"})
DANGEROUS_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about", "filesystem"})
"""Never trusted, even when configured: navigating to them runs or reads something."""

Reason = Literal["control", "backslash", "userinfo", "scheme", "unparsable", "relative", "origin"]


class UntrustedURLError(ValueError):
    """A URL that is not trusted; ``reason`` says which rule refused it (never the URL itself)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(f"untrusted URL ({reason})")
        self.reason: Reason = reason


@lru_cache(maxsize=512)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """Better Auth's ``wildcardMatch(pattern)`` without a separator: ``*`` any run, ``?`` one character."""
    body = "".join(".*?" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$")


def _ipv4_allowed(pattern_authority: str, authority: str) -> bool:
    """An all-digit wildcard host (``192.168.*.*``) names addresses, so only an IPv4 address matches it."""
    if not _IP_WILDCARD_HOST.match(pattern_authority.split(":", 1)[0]):
        return True
    try:
        ipaddress.IPv4Address(authority.split(":", 1)[0])
    except ValueError:
        return False
    return True


def _normalize_path(path: str) -> str:
    """Percent-decoded path with ``.``/``..`` resolved, ``""`` for the root (Better Auth ``normalizePath``)."""
    segments: list[str] = []
    for segment in unquote(path).split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in (".", ""):
            segments.append(segment)
    return "/" + "/".join(segments) if segments else ""


@dataclass(frozen=True)
class _CustomScheme:
    """A configured ``myapp://[authority][/path]`` pattern (Expo, native apps)."""

    scheme: str
    authority: str
    path: str
    wildcard: bool

    def matches(self, scheme: str, authority: str, path: str) -> bool:
        if scheme != self.scheme:
            return False
        if self.wildcard:
            if self.authority and not (
                _wildcard(self.authority).match(authority) and _ipv4_allowed(self.authority, authority)
            ):
                return False
            return not self.path or bool(_wildcard(self.path).match(path or "/"))
        if self.authority and authority != self.authority:
            return False
        return not self.path or path == self.path or path.startswith(self.path + "/")


def _split_custom(value: str, *, wildcard: bool) -> tuple[str, str, str] | None:
    """``(scheme, authority, path)`` of a custom-scheme URL or pattern, by Better Auth's string rules."""
    if _CONTROL.search(value) or "\\" in value:
        return None
    match = _SCHEME.match(value)
    if match is None:
        return None
    scheme = match.group(1).lower()
    rest = value[match.end() :]
    authority = ""
    if rest.startswith("//"):
        rest = rest[2:]
        end = re.search(r"[/#]" if wildcard else r"[/?#]", rest)
        authority, rest = (rest, "") if end is None else (rest[: end.start()], rest[end.start() :])
    end = re.search(r"#" if wildcard else r"[?#]", rest)
    return scheme, authority.lower(), _normalize_path(rest if end is None else rest[: end.start()])


@dataclass(frozen=True)
class TrustedOrigins:
    """The compiled ``trustedOrigins`` list: exact origins, wildcard patterns and custom schemes.

    Build it once with :meth:`compile` (a bad entry is a :class:`ConfigurationError` at startup).
    """

    exact: frozenset[str] = frozenset()
    """Serialised WHATWG origins, ``https://app.example.com``."""
    origin_patterns: tuple[str, ...] = ()
    """Wildcard patterns with a scheme, matched against the origin (``https://*.example.com``)."""
    host_patterns: tuple[str, ...] = ()
    """Wildcard patterns without a scheme, matched against ``host[:port]`` of http(s) URLs."""
    custom: tuple[_CustomScheme, ...] = ()

    @classmethod
    def compile(cls, entries: Iterable[str]) -> TrustedOrigins:
        """Compile configured origins and patterns.

        Raises:
            ConfigurationError: an entry that can never match safely (unparsable, user-info, a
                path-only value, or a dangerous scheme such as ``javascript:``).
        """
        exact: set[str] = set()
        origin_patterns: list[str] = []
        host_patterns: list[str] = []
        custom: list[_CustomScheme] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            wildcard = "*" in entry or "?" in entry
            if "\\" in entry or _CONTROL.search(entry):
                raise ConfigurationError(f"trusted origin {entry!r}: no backslashes or control characters")
            if wildcard and "://" not in entry:
                host_patterns.append(entry.lower())
                continue
            scheme_match = _SCHEME.match(entry)
            scheme = scheme_match.group(1).lower() if scheme_match else ""
            if scheme in _HTTP:
                if wildcard:
                    origin_patterns.append(entry.lower().rstrip("/"))
                    continue
                parsed = parse_url(entry)
                if parsed is None or parsed.username or parsed.password:
                    raise ConfigurationError(f"trusted origin {entry!r} is not a valid http(s) origin")
                exact.add(str(parsed.origin))
                continue
            if not scheme or scheme in DANGEROUS_SCHEMES:
                raise ConfigurationError(
                    f"trusted origin {entry!r}: use an origin such as https://app.example.com, a pattern such "
                    "as https://*.example.com, or an app scheme such as myapp://"
                )
            parts = _split_custom(entry, wildcard=wildcard)
            if parts is None or "@" in parts[1]:
                raise ConfigurationError(f"trusted origin {entry!r} is not a valid app scheme")
            custom.append(_CustomScheme(*parts, wildcard=wildcard))
        return cls(frozenset(exact), tuple(origin_patterns), tuple(host_patterns), tuple(custom))

    def including(self, origin: str) -> TrustedOrigins:
        """This list plus one more exact origin (the server's own, when it is known only per request)."""
        if origin in self.exact:
            return self
        return TrustedOrigins(self.exact | {origin}, self.origin_patterns, self.host_patterns, self.custom)

    def has_origin(self, origin: str, host: str) -> bool:
        """Whether an http(s) URL with this serialised origin and ``host[:port]`` is trusted."""
        if origin in self.exact:
            return True
        authority = origin.split("://", 1)[1]
        for pattern in self.origin_patterns:
            if _wildcard(pattern).match(origin) and _ipv4_allowed(pattern.split("://", 1)[1], authority):
                return True
        return any(_wildcard(p).match(host) and _ipv4_allowed(p, host) for p in self.host_patterns)


def _trust_relative(value: str) -> str:
    """A root-relative redirect that stays on the site; returned as the parser serialises it."""
    if value.startswith("//") or "\\" in value or _CONTROL.search(value):
        raise UntrustedURLError("relative")
    path_end = re.search(r"[?#]", value)
    if _ENCODED_SEPARATOR.search(value if path_end is None else value[: path_end.start()]):
        raise UntrustedURLError("relative")
    parsed = parse_url(value, RELATIVE_BASE)
    if parsed is None or parsed.origin != RELATIVE_BASE:
        raise UntrustedURLError("relative")
    serialised = str(parsed.href)[len(RELATIVE_BASE) :]
    if serialised.startswith("//"):
        raise UntrustedURLError("relative")  # "/.//evil.com" serialises to a protocol-relative URL
    return serialised


def _authority_has_userinfo(value: str) -> bool:
    """``@`` before the path, in the raw text: user-info, whatever the parser makes of it."""
    rest = value.split(":", 1)[1].lstrip("/")
    end = re.search(r"[/?#]", rest)
    return "@" in (rest if end is None else rest[: end.start()])


def _trust_absolute(value: str, trusted: TrustedOrigins | None) -> str:
    if "\\" in value:
        raise UntrustedURLError("backslash")
    scheme_match = _SCHEME.match(value.strip())
    if scheme_match is None:
        raise UntrustedURLError("unparsable")
    scheme = scheme_match.group(1).lower()
    if scheme in DANGEROUS_SCHEMES:
        raise UntrustedURLError("scheme")
    if _authority_has_userinfo(value.strip()):
        raise UntrustedURLError("userinfo")
    parsed = parse_url(value)
    if parsed is None:
        raise UntrustedURLError("unparsable")
    if parsed.username or parsed.password:
        raise UntrustedURLError("userinfo")
    href = str(parsed.href)
    if scheme not in _HTTP:
        parts = _split_custom(href, wildcard=False)
        if parts is None or (trusted is not None and not any(c.matches(*parts) for c in trusted.custom)):
            raise UntrustedURLError("scheme")
        return href
    if trusted is not None and not trusted.has_origin(str(parsed.origin), str(parsed.host)):
        raise UntrustedURLError("origin")
    # A bare origin keeps its spelling: "https://app.example.com" and its serialisation
    # "https://app.example.com/" are the same URL to every parser.
    return value if href == value + "/" else href


def trust_url(value: str, trusted: TrustedOrigins | None, *, allow_relative: bool) -> str:
    """The URL to emit for ``value``, if it is trusted.

    Args:
        value: a callback URL, redirect target, ``Origin`` or ``Referer`` from the request.
        trusted: the trusted origins; ``None`` checks the syntax only (origin checks disabled).
        allow_relative: accept root-relative paths (redirect targets; never an ``Origin``).

    Returns:
        The WHATWG serialisation of ``value`` (a root-relative path stays root-relative).

    Raises:
        UntrustedURLError: the only exception, whatever the input.
    """
    if value.startswith("/"):
        if not allow_relative:
            raise UntrustedURLError("relative")
        return _trust_relative(value)
    if _CONTROL.search(value):
        raise UntrustedURLError("control")
    return _trust_absolute(value, trusted)


def would_trust_without_controls(value: str, trusted: TrustedOrigins | None) -> bool:
    """Whether an absolute URL refused for control characters names a trusted place once they are removed.

    Such a value is a malformed request (400) rather than an attempt on an untrusted target (403).
    """
    try:
        trust_url(_CONTROL.sub("", value), trusted, allow_relative=False)
    except UntrustedURLError:
        return False
    return True


def server_origin(url: str) -> str:
    """The origin of a configured ``base_url``, validated.

    Raises:
        ConfigurationError: not an absolute http(s) URL without user-info.
    """
    origin = origin_of(url)
    parsed = parse_url(url)
    if origin is None or parsed is None or parsed.username or parsed.password:
        raise ConfigurationError(f"base_url {url!r} must be an absolute http(s) URL")
    return origin

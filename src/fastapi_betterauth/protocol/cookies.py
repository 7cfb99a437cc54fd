"""Cookie names, attributes and parsing, as Better Auth sets and reads them.

Mirrors ``better-auth/dist/cookies/index.mjs`` (``createCookieGetter``, ``setSessionCookie``,
``deleteSessionCookie``) and better-call's signed cookies.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..crypto.signing import sign_cookie_value
from .endpoint import SetCookie


def parse_cookie_header(header: str | None) -> dict[str, str]:
    """``Cookie`` header to a dict; the first occurrence of a name wins, values are kept raw."""
    cookies: dict[str, str] = {}
    if not header:
        return cookies
    for part in header.split(";"):
        name, eq, value = part.partition("=")
        if not eq:
            continue
        name = name.strip()
        if name and name not in cookies:
            value = value.strip()
            if value.startswith('"'):
                value = value[1:-1]  # better-call drops one pair of surrounding quotes
            cookies[name] = value
    return cookies


@dataclass(frozen=True)
class CookieConfig:
    """Names and attributes of the auth cookies for one server configuration."""

    prefix: str = "better-auth"
    secure: bool = False
    session_max_age: int = 604800

    def name(self, cookie: str) -> str:
        """``[__Secure-]<prefix>.<cookie>``."""
        base = f"{self.prefix}.{cookie}"
        return f"__Secure-{base}" if self.secure else base

    @property
    def session_token(self) -> str:
        """Name of the session cookie."""
        return self.name("session_token")

    @property
    def session_data(self) -> str:
        """Name of the cookie-cache cookie."""
        return self.name("session_data")

    @property
    def dont_remember(self) -> str:
        """Name of the rememberMe=false marker cookie."""
        return self.name("dont_remember")

    @property
    def admin_session(self) -> str:
        """Name of the admin plugin's cookie that keeps the admin session during an impersonation."""
        return self.name("admin_session")

    def signed(self, name: str, value: str, secret: str) -> SetCookie:
        """A signed cookie with the session cookie's attributes (and its Max-Age)."""
        return self._cookie(name, sign_cookie_value(value, secret), self.session_max_age)

    def _cookie(self, name: str, value: str, max_age: int | None) -> SetCookie:
        return SetCookie(name=name, value=value, max_age=max_age, secure=self.secure)

    def session_cookies(self, token: str, secret: str, *, remember: bool) -> list[SetCookie]:
        """Cookies set at sign-in: the signed token, plus ``dont_remember`` when not remembered."""
        cookies = [
            self._cookie(
                self.session_token,
                sign_cookie_value(token, secret),
                self.session_max_age if remember else None,
            )
        ]
        if not remember:
            cookies.append(self._cookie(self.dont_remember, sign_cookie_value("true", secret), None))
        return cookies

    def expire(self, name: str) -> SetCookie:
        """Delete a cookie: same name and attributes, empty value, ``Max-Age=0``."""
        return self._cookie(name, "", 0)

    def expire_session(self) -> list[SetCookie]:
        """Expire ``session_token``, ``session_data`` and ``dont_remember``, in Better Auth's order."""
        return [
            self.expire(self.session_token),
            self.expire(self.session_data),
            self.expire(self.dont_remember),
        ]

"""Per-application and per-call state handed to endpoint handlers.

Mirrors Better Auth's ``AuthContext`` (``ctx.context``) and the endpoint context: handlers read the
request, the current session, and add cookies or headers to the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from .._dates import now
from ..audit import AuditTrail, AuthEvent
from ..crypto.symmetric import SecretConfig
from ..db.adapter import Adapter, Row
from ..db.schema import SchemaView
from ..db.store import AuthStore, is_expired
from ..email.mailer import Mailer
from ..errors import AuthError, ErrorCode
from ..hooks import AuthHooks
from ..outage import DatabaseMonitor
from ..password_policy import PasswordPolicy
from ..protection.client_address import ProxyTrust, header_ip
from ..settings import AuthSettings
from .cookie_cache import decode_session_data, encode_session_data
from .cookies import CookieConfig, parse_cookie_header
from .credentials import CredentialReader, unsign_cookie
from .endpoint import AuthRequest, SetCookie
from .hashing import PasswordHashing
from .shapes import SessionOut, UserOut
from .trusted_origins import TrustedOrigins
from .urls import is_loopback_host, parse_url
from .wire import public_row

if TYPE_CHECKING:
    from ..protection import Lockout, RateLimiter
    from ..social.registry import SocialProviders
    from .plugin import Plugin


@dataclass
class AuthContext:
    """Everything shared by all requests of one ``BetterAuth`` instance."""

    settings: AuthSettings
    secret: str
    secrets: tuple[str, ...]
    secret_config: SecretConfig
    """What encrypts stored values: versioned envelopes with ``secrets``, bare hex otherwise."""
    adapter: Adapter
    store: AuthStore
    schema: SchemaView
    cookies: CookieConfig
    hashing: PasswordHashing
    plugins: tuple[Plugin, ...] = ()
    rate_limiter: RateLimiter | None = None
    lockout: Lockout | None = None
    proxy_trust: ProxyTrust = field(default_factory=ProxyTrust)
    """Which peers may name the client in forwarding headers (``advanced.trusted_proxies``)."""
    mailer: Mailer = field(default_factory=lambda: Mailer(None))
    hooks: AuthHooks = field(default_factory=AuthHooks)
    password_policy: PasswordPolicy | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    """Per-instance state of plugins, by plugin id."""
    audit: AuditTrail = field(default_factory=AuditTrail)
    origin: str | None = None
    """The origin of ``base_url``; ``None`` in development without one."""
    trusted: TrustedOrigins = field(default_factory=TrustedOrigins)
    """The configured trusted origins, compiled (``base_url``'s origin included)."""
    credentials: CredentialReader = field(default_factory=lambda: CredentialReader("", ()))
    """How this server reads session credentials (the bearer plugin turns bearer tokens on)."""
    social: SocialProviders | None = None
    """The social providers (``social_providers=`` and the generic-OAuth plugin); ``None`` without any."""
    database_monitor: DatabaseMonitor = field(default_factory=DatabaseMonitor)
    """Whether the database answers; logs each outage once (see :mod:`fastapi_betterauth.outage`)."""

    def base_origin(self, request: AuthRequest) -> str:
        """Origin of ``base_url``; without one (development only), the request's own origin.

        Raises:
            AuthError: 400 ``UNTRUSTED_HOST`` (see :meth:`origin_for`).
        """
        return self.origin_for(request.url)

    def origin_for(self, url: str) -> str:
        """Origin of ``base_url``, else of ``url`` (a request URL, so its host is the ``Host`` header).

        The ``Host`` header is chosen by the client: it is used only when it is a loopback host or a
        trusted origin, so a forged ``Host`` never puts an attacker's site into a mailed link, a JWT
        issuer or the trusted origins.

        Raises:
            AuthError: 400 ``UNTRUSTED_HOST`` for any other ``Host``.
        """
        if self.origin is not None:
            return self.origin
        parsed = parse_url(url)
        if parsed is None or parsed.protocol not in ("http:", "https:"):
            raise AuthError(400, ErrorCode.UNTRUSTED_HOST)
        origin = str(parsed.origin)
        if is_loopback_host(str(parsed.hostname)) or self.trusted.has_origin(origin, str(parsed.host)):
            return origin
        raise AuthError(400, ErrorCode.UNTRUSTED_HOST)

    def public_base(self, request: AuthRequest) -> str:
        """``base_url`` as configured, else the request's origin: the default JWT issuer and audience."""
        return self.settings.base_url or self.base_origin(request)

    def base_url(self, request: AuthRequest) -> str:
        """Origin + base path, e.g. ``http://localhost:8000/api/auth`` (Better Auth ``ctx.context.baseURL``)."""
        return self.base_origin(request) + self.settings.base_path

    def trusted_origins(self, request: AuthRequest) -> TrustedOrigins:
        """``base_url``'s origin plus the configured trusted origins."""
        if self.origin is not None:
            return self.trusted
        return self.trusted.including(self.base_origin(request))

    def public_user(self, row: Row) -> UserOut:
        """A user row as Better Auth returns it."""
        return cast(UserOut, public_row(row, self.schema.hidden.get("user", frozenset())))

    def public_session(self, row: Row) -> SessionOut:
        """A session row as Better Auth returns it (including the token)."""
        return cast(SessionOut, public_row(row, self.schema.hidden.get("session", frozenset())))

    async def check_rate_limit(self, request: AuthRequest) -> AuthError | None:
        """Count the request against its rate limit; the 429 error when it is over."""
        if self.rate_limiter is None:
            return None
        return await self.rate_limiter.check(request)

    def client_address(self, request: AuthRequest) -> str | None:
        """The client rate limits and lockouts count against: the peer unless trusted proxies say otherwise."""
        return self.proxy_trust.client(request)

    def client_ip(self, request: AuthRequest) -> str:
        """The ``ipAddress`` stored with a session and an audit event, ``""`` when unknown.

        With trusted proxies configured, the resolved client address. Without, Better Auth's rule: a
        configured header holding exactly one valid IP (a display value the client can choose, as in
        Better Auth; nothing that limits or locks relies on it).
        """
        advanced = self.settings.advanced
        if advanced.disable_ip_tracking:
            return ""
        if self.proxy_trust.configured:
            return self.proxy_trust.client(request) or ""
        return header_ip(request, advanced.ip_address_headers, advanced.ipv6_subnet)


B = TypeVar("B")
Q = TypeVar("Q")


@dataclass
class EndpointContext(Generic[B, Q]):
    """One call of one endpoint, with its validated body and query (``None`` where it declares none)."""

    auth: AuthContext
    request: AuthRequest
    body: B
    query: Q
    cookies_out: list[SetCookie] = field(default_factory=list)
    headers_out: list[tuple[str, str]] = field(default_factory=list)
    _cookies_in: dict[str, str] | None = None
    _session: tuple[Row, Row] | None = None
    _session_loaded: bool = False

    @property
    def store(self) -> AuthStore:
        """Domain storage."""
        return self.auth.store

    @property
    def cookies(self) -> dict[str, str]:
        """Request cookies (raw values)."""
        if self._cookies_in is None:
            self._cookies_in = {**parse_cookie_header(self.request.header("cookie")), **self.request.injected_cookies}
        return self._cookies_in

    def audit(
        self, type: str, *, subject_id: str | None, actor_id: str | None = None, reason: str | None = None
    ) -> AuthEvent:
        """Record an auth event for this request (IP and user agent filled in; the actor defaults to the subject)."""
        return self.auth.audit.record(
            type,
            actor_id=actor_id if actor_id is not None else subject_id,
            subject_id=subject_id,
            ip_address=self.auth.client_ip(self.request),
            user_agent=self.request.header("user-agent") or "",
            reason=reason,
        )

    def set_cookie(self, cookie: SetCookie) -> None:
        """Add a ``Set-Cookie`` to the answer (kept on error answers too)."""
        self.cookies_out.append(cookie)

    def set_header(self, name: str, value: str) -> None:
        """Add a response header."""
        self.headers_out.append((name, value))

    def signed_cookie(self, name: str) -> str | None:
        """A signed cookie's value, or ``None`` when absent, unsigned or tampered with."""
        return unsign_cookie(self.cookies.get(name), self.auth.secrets)

    def session_token(self) -> str | None:
        """The verified session token from the session cookie."""
        return self.signed_cookie(self.auth.cookies.session_token)

    def is_remembered(self) -> bool:
        """False when the session was created with ``rememberMe: false``."""
        return self.signed_cookie(self.auth.cookies.dont_remember) is None

    async def get_session(self, *, use_cache: bool = False) -> tuple[Row, Row] | None:
        """The current (session, user), or ``None``; an expired or unknown session clears the cookies.

        ``use_cache`` accepts a valid ``session_data`` cookie instead of reading the database, as Better
        Auth's session middleware does for non-sensitive endpoints.
        """
        if self._session_loaded:
            return self._session
        self._session_loaded = True
        if use_cache:
            cached = self.cached_session()
            if cached is not None:
                self._session = cached
                return cached
        token = self.session_token()
        if token is None:
            return None
        found = await self.store.find_session(token)
        if found is None or is_expired(found[0]):
            if found is not None:
                await self.store.delete_session(token)
            self.cookies_out.extend(self.auth.cookies.expire_session())
            return None
        self._session = found
        return found

    async def require_session(self, *, use_cache: bool = False) -> tuple[Row, Row]:
        """The current session, or 401 ``UNAUTHORIZED``."""
        found = await self.get_session(use_cache=use_cache)
        if found is None:
            raise AuthError(401, ErrorCode.UNAUTHORIZED)
        return found

    def replace_session(self, session: Row, user: Row) -> None:
        """Make a just-created or refreshed session the current one."""
        self._session = (session, user)
        self._session_loaded = True

    def set_session_cookie(self, session: Row, user: Row | None = None, *, remember: bool | None = None) -> None:
        """Set the session cookie (and ``dont_remember`` when not remembered, ``session_data`` when cached)."""
        if remember is None:
            remember = self.is_remembered()
        self.cookies_out.extend(
            self.auth.cookies.session_cookies(session["token"], self.auth.secret, remember=remember)
        )
        if user is not None:
            self.set_cookie_cache(session, user, remember=remember)

    def set_cookie_cache(self, session: Row, user: Row, *, remember: bool) -> None:
        """Write the ``session_data`` cookie when the cookie cache is enabled."""
        cache = self.auth.settings.session.cookie_cache
        if not cache.enabled:
            return
        value = encode_session_data(
            self.auth.public_session(session),
            self.auth.public_user(user),
            secret=self.auth.secret,
            now_ms=int(now().timestamp() * 1000),
            max_age=cache.max_age,
            version=cache.version,
        )
        cookies = self.auth.cookies
        max_age = cache.max_age if remember else None
        self.set_cookie(SetCookie(cookies.session_data, value, max_age, secure=cookies.secure))

    def cached_session(self) -> tuple[Row, Row] | None:
        """The (session, user) from a valid ``session_data`` cookie for the current session token."""
        cache = self.auth.settings.session.cookie_cache
        raw = self.cookies.get(self.auth.cookies.session_data)
        if not cache.enabled or not raw:
            return None
        token = self.session_token()
        found = decode_session_data(
            raw,
            secrets=self.auth.secrets,
            now_ms=int(now().timestamp() * 1000),
            version=cache.version,
            date_fields=self.auth.schema.date_fields,
        )
        if found is None or token is None or found[0].get("token") != token:
            return None
        return found

    def is_fresh(self, session: Row) -> bool:
        """``now - createdAt < freshAge`` (always true when ``fresh_age`` is 0)."""
        fresh_age = self.auth.settings.session.fresh_age
        return fresh_age == 0 or (now() - session["createdAt"]).total_seconds() < fresh_age


AnyContext = EndpointContext[Any, Any]
"""A call of any endpoint: what helpers shared by several routes take."""

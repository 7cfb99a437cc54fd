"""``BetterAuth``: assembles settings, storage, plugins and endpoints into one server.

Mirrors ``betterAuth(options)`` of ``better-auth/dist/auth``: the returned object exposes the HTTP
router (``auth.router``), server-side calls (``auth.api``) and lifecycle (``auth.lifespan``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from . import protection
from .api import API
from .audit import AUDIT_TABLE, AuditTrail
from .crypto.passwords import PasswordHasher
from .db.adapter import Adapter, Row
from .db.schema import CORE_SCHEMA, RATE_LIMIT_TABLE, SchemaView, TableSpec, merge_schema
from .db.session_cache import SessionCache
from .db.store import AuthStore, is_banned, is_expired
from .deployment import require_public_url, resolve_secret
from .email import EmailSender, EmailTemplates, Mailer
from .errors import AuthError, ConfigurationError, ErrorCode
from .hooks import AuthHooks
from .models import Identity, Session, User
from .outage import DatabaseMonitor
from .password_policy import PasswordPolicy
from .protocol.context import AuthContext
from .protocol.cookies import CookieConfig
from .protocol.credentials import CredentialReader, bearer_jwt
from .protocol.endpoint import AnyEndpoint
from .protocol.hashing import PasswordHashing
from .protocol.plugin import Plugin
from .protocol.routes import BASE_ENDPOINTS
from .protocol.trusted_origins import TrustedOrigins, server_origin
from .settings import AuthSettings
from .social import SOCIAL_ENDPOINTS, OAuthProvider, SocialProviders
from .storage import MemoryStorage, SecondaryStorage

if TYPE_CHECKING:
    from fastapi import APIRouter

    from .resource.jwt_verifier import JWTVerifier


class BetterAuth:
    """A Better Auth 1.7.24 compatible auth server.

    Args:
        settings: everything that is data; defaults load from the environment.
        database: a SQLAlchemy async URL (``sqlite+aiosqlite:///./app.db``,
            ``postgresql+asyncpg://…``); or pass ``adapter`` instead.
        adapter: any :class:`~fastapi_betterauth.db.adapter.Adapter` (e.g. ``MemoryAdapter()``).
        plugins: plugin values such as ``bearer()``.
        password_hasher: ``ScryptHasher()`` (default, Better Auth's format) or ``Argon2Hasher()``.
        email_sender: where verification, reset and deletion mails go (``ConsoleEmailSender()``,
            ``FileOutboxSender(path)``, ``SMTPEmailSender(...)`` or your own); without one, an
            ``smtp`` section in the settings is used, and without that those flows are disabled.
        email_templates: subjects and bodies of those mails.
        hooks: application callbacks such as ``before_delete_user``.
        password_policy: extra rules for new passwords, e.g. ``password_complexity()``.
        audit: where auth events go besides the ``fastapi_betterauth.audit`` logger:
            ``AuditTrail(store=True)`` keeps them in an ``auth_event`` table (listed by
            ``GET /admin/list-auth-events``), ``callback=`` hands each to your code.
        jwt_verifiers: other issuers whose bearer JWTs name users of this database, tried after the
            jwt plugin's own keys: ``JWTVerifier(secret=...)`` for a frontend that signs HS256 JWTs
            with ``BETTER_AUTH_SECRET``, or ``JWTVerifier(jwks_url=...)`` for another Better Auth
            server. The user is read from the database on each request (``sub``), so bans, role
            changes and deletions apply at once.
        secondary_storage: Better Auth's ``secondaryStorage``, e.g. ``RedisStorage(url)``: sessions,
            verification values, rate-limit counters and lockouts live there, shared by every worker
            and by a TypeScript Better Auth server using the same Redis (closed with the app).
        social_providers: sign-in providers (Better Auth's ``socialProviders``): ``google(...)``,
            ``github(...)``, or ``oidc(...)`` for any OpenID Connect provider. Each redirects back to
            ``<base_url><base_path>/callback/<id>``, the URI to register at the provider.
    """

    def __init__(
        self,
        settings: AuthSettings | None = None,
        *,
        database: str | None = None,
        adapter: Adapter | None = None,
        plugins: Sequence[Plugin] = (),
        password_hasher: PasswordHasher | None = None,
        email_sender: EmailSender | None = None,
        email_templates: EmailTemplates | None = None,
        hooks: AuthHooks | None = None,
        password_policy: PasswordPolicy | None = None,
        audit: AuditTrail | None = None,
        jwt_verifiers: Sequence[JWTVerifier] = (),
        secondary_storage: SecondaryStorage | None = None,
        social_providers: Sequence[OAuthProvider] = (),
    ) -> None:
        self.settings = settings if settings is not None else AuthSettings()
        require_public_url(self.settings)
        secret = resolve_secret(self.settings)  # fails fast on a missing or weak secret in a deployment
        origin = server_origin(self.settings.base_url) if self.settings.base_url else None
        self.adapter: Adapter = _one_adapter(database, adapter)
        self.plugins = tuple(plugins)
        self.jwt_verifiers = tuple(jwt_verifiers)
        ids = [p.id for p in self.plugins]
        if len(set(ids)) != len(ids):
            raise ConfigurationError(f"a plugin is registered twice: {ids}")
        self.audit = audit or AuditTrail()
        self.secondary_storage = secondary_storage
        extra_tables: tuple[TableSpec, ...] = (AUDIT_TABLE,) if self.audit.store else ()
        if protection.rate_limit_storage(self.settings, secondary_storage) == "database":
            extra_tables += (RATE_LIMIT_TABLE,)
        schema = merge_schema(CORE_SCHEMA, *(p.schema for p in self.plugins), extra_tables)
        self.adapter.use_schema(schema)
        self.endpoints = self._endpoints()
        secrets = self.settings.verification_secrets(secret)
        self.context = AuthContext(
            settings=self.settings,
            secret=secret,
            secrets=secrets,
            secret_config=self.settings.secret_config(secret),
            adapter=self.adapter,
            store=self._store(),
            schema=SchemaView.of(schema),
            cookies=self._cookies(),
            hashing=PasswordHashing(password_hasher, workers=self.settings.password_hash_workers),
            plugins=self.plugins,
            rate_limiter=protection.rate_limiter(self.settings, self.adapter, secondary_storage, secret),
            lockout=protection.lockout(self.settings, secondary_storage or MemoryStorage(), secret, self._lock_changed),
            proxy_trust=protection.proxy_trust(self.settings),
            mailer=Mailer(
                email_sender if email_sender is not None else self._smtp_sender(),
                email_templates or EmailTemplates(app_name=self.settings.app_name),
            ),
            hooks=hooks or AuthHooks(),
            password_policy=password_policy,
            audit=self.audit,
            origin=origin,
            trusted=TrustedOrigins.compile(([origin] if origin else []) + list(self.settings.trusted_origins)),
            credentials=CredentialReader(secret, secrets),
            social=SocialProviders(social_providers, timeout=self.settings.account.provider_timeout)
            if social_providers
            else None,
        )
        self.audit.adapter = self.adapter
        for plugin in self.plugins:
            if plugin.init is not None:
                plugin.init(self.context)
        if self.store.cache is not None:
            from .plugins.admin import admin_options

            impersonation = admin_options(self).impersonation_session_duration
            self.store.cache.revoked_ttl = max(self.store.cache.revoked_ttl, impersonation)
        self.api = API(self)
        self._open = 0
        self._lock = asyncio.Lock()
        from .integration.dependencies import register_instance

        register_instance(self)

    def _endpoints(self) -> tuple[AnyEndpoint, ...]:
        """The core routes, the plugins' and the audit listing; two for one method and path is an error."""
        endpoints = BASE_ENDPOINTS + SOCIAL_ENDPOINTS + tuple(e for p in self.plugins for e in p.endpoints)
        if self.audit.store:
            from .audit_endpoints import list_auth_events

            endpoints += (list_auth_events,)
        seen: set[tuple[str, str]] = set()
        for endpoint in endpoints:
            key = (endpoint.method, endpoint.path)
            if key in seen:
                raise ConfigurationError(f"two endpoints for {endpoint.method} {endpoint.path}")
            seen.add(key)
        return endpoints

    def _cookies(self) -> CookieConfig:
        """Cookie names and attributes: ``__Secure-`` and ``Secure`` when the server is https."""
        secure = self.settings.advanced.use_secure_cookies
        if secure is None:
            base = self.settings.base_url
            secure = base.startswith("https://") if base else self.settings.environment == "production"
        return CookieConfig(
            prefix=self.settings.advanced.cookie_prefix, secure=secure, session_max_age=self.settings.session.expires_in
        )

    def _store(self) -> AuthStore:
        """Domain storage: the database, and the secondary storage where Better Auth puts sessions."""
        if self.secondary_storage is None:
            return AuthStore(self.adapter)
        # Better Auth's revokedBeforeTTL; the admin plugin's impersonation duration is added once it is set up.
        revoked_ttl = max(self.settings.session.expires_in, 86400)
        return AuthStore(
            self.adapter,
            cache=SessionCache(self.secondary_storage, revoked_ttl=revoked_ttl),
            sessions_in_database=self.settings.session.store_session_in_database,
            preserve_sessions=self.settings.session.preserve_session_in_database,
            verification_in_database=self.settings.verification.store_in_database,
        )

    async def _lock_changed(self, event: str, email: str, client: str | None, reason: str) -> None:
        """Audit a lock, or a lock that ran out (locks lifted by people are audited where they lift them)."""
        user = await self.store.find_user_by_email(email)
        self.audit.record(
            "account_locked" if event == "locked" else "account_unlocked",
            subject_id=None if user is None else user["id"],
            ip_address=client or "",
            reason=reason,
        )

    def _smtp_sender(self) -> EmailSender | None:
        if self.settings.smtp is None:
            return None
        from .email.smtp import SMTPEmailSender

        return SMTPEmailSender(self.settings.smtp)

    @property
    def mailer(self) -> Mailer:
        """Outgoing auth mail; ``await auth.mailer.flush()`` waits for pending deliveries."""
        return self.context.mailer

    @property
    def store(self) -> AuthStore:
        """Domain storage (users, sessions, accounts)."""
        return self.context.store

    @cached_property
    def router(self) -> APIRouter:
        """The FastAPI router serving ``<base_path>/*``: ``app.include_router(auth.router)``."""
        from .integration.router import create_auth_router

        return create_auth_router(self)

    def health_router(
        self, *, live_path: str = "/health/live", ready_path: str = "/health/ready", timeout: float = 2.0
    ) -> APIRouter:
        """Liveness and readiness routes for load balancers: ``app.include_router(auth.health_router())``.

        ``GET /health/live`` is always 200 while the process serves; ``GET /health/ready`` is 200 when the
        database (``SELECT 1``) and the secondary storage answer within ``timeout`` seconds, else 503 with
        ``{"status": "unavailable", "checks": {...}, "errors": {...}}`` naming the failed check.
        """
        from .integration.health import create_health_router

        return create_health_router(self, live_path=live_path, ready_path=ready_path, timeout=timeout)

    @property
    def database_monitor(self) -> DatabaseMonitor:
        """Whether the database answers, as requests see it (each outage is logged once, begin and end)."""
        return self.context.database_monitor

    def add_cors(
        self,
        app: Any,
        *,
        expose_headers: Sequence[str] = (),
        allow_methods: Sequence[str] | None = None,
        max_age: int = 600,
    ) -> None:
        """Let browser frontends on the trusted origins call this app with credentials.

        Adds CORS middleware to ``app`` that answers preflights and echoes the ``Origin`` only when it
        matches ``trusted_origins`` (the same rule as the origin check, patterns included), with
        credentials, and exposes ``set-auth-token`` / ``set-auth-jwt`` plus ``expose_headers`` to the
        client. Covers the app's own routes too. Call it once, before the app starts. ``allow_methods``
        defaults to GET, POST, PUT, PATCH and DELETE.
        """
        from .integration.cors import AUTH_RESPONSE_HEADERS, DEFAULT_METHODS, TrustedOriginsCORSMiddleware

        app.add_middleware(
            TrustedOriginsCORSMiddleware,
            trusted=self.context.trusted,
            allow_methods=DEFAULT_METHODS if allow_methods is None else tuple(allow_methods),
            expose_headers=(*AUTH_RESPONSE_HEADERS, *expose_headers),
            max_age=max_age,
        )

    async def create_schema(self) -> None:
        """Create the tables if missing (development; use Alembic migrations in production).

        Outside production it also adds the columns the plugins need to tables made before them (``user.role``
        when ``admin()`` comes later). In production it alters no existing table: missing columns raise a
        :class:`ConfigurationError` naming them and the ``fastapi-betterauth`` command that adds them.
        """
        from .db.sqlalchemy import SQLAlchemyAdapter

        if isinstance(self.adapter, SQLAlchemyAdapter):
            await self.adapter.create_schema(add_missing_columns=self.settings.environment != "production")
        else:
            await self.adapter.create_schema()

    @asynccontextmanager
    async def lifespan(self, app: Any = None) -> AsyncIterator[dict[str, Any]]:
        """ASGI lifespan: ``FastAPI(lifespan=auth.lifespan)``; closes connections and threads at exit.

        Yields the lifespan state ``{"better_auth": self}`` that the dependencies find.
        """
        if app is not None:
            self.install(app)  # before counting this lifespan: a refused start must not keep the instance open
        async with self._lock:
            self._open += 1
        if self.settings.freeze_startup_heap:
            from .startup_heap import freeze_startup_heap

            freeze_startup_heap()  # the app is built: its objects live as long as the process
        try:
            yield {"better_auth": self}
        finally:
            async with self._lock:
                self._open -= 1
                last = self._open == 0
            if last:
                await self.close()

    def install(self, app: Any) -> None:
        """Check the app's routes and render dependency errors in Better Auth's ``{message, code}`` shape.

        Called by ``auth.lifespan``; call it yourself only if the app runs without that lifespan.

        Raises:
            ConfigurationError: a route uses a dependency this instance cannot serve, e.g.
                ``require_role`` without the admin plugin (the message says what to add).
        """
        from .integration.dependencies import install

        install(app, self)

    async def _session(self, headers: Mapping[str, str]) -> tuple[Row, Row, str] | None:
        """The live session the credentials name, its user and how it came; an expired one is deleted."""
        credential = self.context.credentials.session(headers, cookie_name=self.context.cookies.session_token)
        if credential is None:
            return None
        found = await self.store.find_session(credential.token)
        if found is None:
            return None
        if is_expired(found[0]):
            await self.store.delete_session(credential.token)
            return None
        return found[0], found[1], credential.via

    async def identify(
        self, headers: Mapping[str, str], query: Mapping[str, Any] | None = None, *, url: str | None = None
    ) -> Identity | None:
        """Who sent a request with these headers.

        A session (cookie or bearer token) or a bearer JWT from the jwt plugin or ``jwt_verifiers`` (the
        user is then read fresh from the database, so role changes, bans and deletions apply at once).

        Raises:
            JWTError: a bearer JWT was presented and does not verify.
            AuthError: 403 ``BANNED_USER`` for a user whose ban is in force.
        """
        lowered = {k.lower(): v for k, v in headers.items()}
        found = await self._session(lowered)
        if found is not None:
            session, user, via = found
            self._refuse_banned(user)
            return Identity(
                user=User.model_validate(self.context.public_user(user)),
                session=Session.model_validate(self.context.public_session(session)),
                via=via,
            )
        token = bearer_jwt(lowered)
        if token is None or ("jwt" not in self.context.extensions and not self.jwt_verifiers):
            return None
        claims = await self.verify_jwt(token, url=url)
        row = await self.store.find_user_by_id(str(claims["sub"]))
        if row is None:
            return None
        self._refuse_banned(row)
        return Identity(user=User.model_validate(self.context.public_user(row)), claims=claims, via="jwt")

    def _refuse_banned(self, user: Row) -> None:
        """A banned user is refused whatever the credential: the admin plugin's 403 ``BANNED_USER``.

        Checked even without the admin plugin: a server sharing the database may have set the ban.
        """
        if is_banned(user):
            from .plugins.admin import admin_options

            raise AuthError(403, ErrorCode.BANNED_USER, admin_options(self).banned_user_message)

    async def verify_jwt(self, token: str, *, url: str | None = None) -> dict[str, Any]:
        """Verify a bearer JWT: the jwt plugin's own (its ``jwks`` table), then ``jwt_verifiers``.

        Raises:
            JWTError: no configured issuer accepts it, or none is configured.
        """
        from .crypto.jwt import JWTError

        errors: list[JWTError] = []
        extension = self.context.extensions.get("jwt")
        if extension is not None:
            base = self.settings.base_url or self.context.origin_for(url or "http://localhost")
            try:
                claims: dict[str, Any] = await extension.verify(token, base)
                return claims
            except JWTError as error:
                errors.append(error)
        for verifier in self.jwt_verifiers:
            try:
                return await verifier.verify(token)
            except JWTError as error:
                errors.append(error)
        if not errors:
            raise JWTError("the jwt plugin is not installed", reason="not_configured")
        # A verifier without a key for the token's kid or algorithm says only "not mine": report the one
        # that checked the token itself (expired, wrong audience...), else the first refusal.
        raise next((e for e in errors if e.reason not in ("algorithm", "kid")), errors[0])

    async def sign_jwt(
        self,
        payload: Mapping[str, Any],
        *,
        algorithm: str | None = None,
        key_id: str | None = None,
        header: Mapping[str, str] | None = None,
    ) -> str:
        """Sign any claims with the jwt plugin's keys (Better Auth's server-only ``signJWT``).

        ``exp``, ``iss`` and ``aud`` default as for session JWTs. ``algorithm`` pins a key of that
        algorithm (minted on first use if ``key_pair_configs`` names it); ``key_id`` pins one key.

        Raises:
            ConfigurationError: no jwt plugin, no ``base_url`` (nor ``issuer`` and ``audience``) to
                name the issuer, or a pin no key satisfies.
        """
        from .plugins.jwt import SigningOverrides, jwt_extension
        from .plugins.jwt.tokens import sign_claims

        if "jwt" not in self.context.extensions:
            raise ConfigurationError("sign_jwt needs the jwt() plugin")
        extension = jwt_extension(self.context)
        options = extension.options
        base = self.settings.base_url
        if base is None and (options.issuer is None or options.audience is None):
            # No request to take an origin from, and a Host-derived issuer is never used: say what to set.
            raise ConfigurationError("sign_jwt needs base_url (or jwt(issuer=..., audience=...)) to set iss and aud")
        overrides = SigningOverrides(key_id=key_id, algorithm=algorithm)
        return await sign_claims(extension.keys, options, payload, base or "", overrides=overrides, header=header)

    async def close(self) -> None:
        """Deliver pending mail, then release database connections and hashing threads."""
        await self.context.mailer.aclose()
        await self.audit.flush()
        self.context.hashing.close()
        await self.adapter.close()
        if self.context.social is not None:
            await self.context.social.aclose()
        if self.secondary_storage is not None:
            await self.secondary_storage.close()


def _one_adapter(database: str | None, adapter: Adapter | None) -> Adapter:
    """The storage: an adapter given, or a SQLAlchemy one for a URL (exactly one of the two).

    Raises:
        ConfigurationError: both or neither.
    """
    if (database is None) == (adapter is None):
        raise ConfigurationError("pass exactly one of database=<SQLAlchemy URL> or adapter=<Adapter>")
    if adapter is not None:
        return adapter
    from .db.sqlalchemy import SQLAlchemyAdapter

    assert database is not None
    return SQLAlchemyAdapter(database)

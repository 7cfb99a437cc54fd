"""Settings: one frozen model, loadable from the environment with Better Auth's own names.

Field names are Better Auth option names in snake_case; durations are int seconds as in Better
Auth. Behaviour (hashers, email senders, hooks) is passed to ``BetterAuth(...)`` as callables and
never lives here, so settings stay serialisable.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from ada_url import URL
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .crypto.symmetric import SecretConfig
from .email.smtp import SMTPSettings

DEV_DEFAULT_SECRET = "better-auth-secret-12345678901234567890"
"""Better Auth's development fallback secret; refused in production."""

MIN_SECRET_LENGTH = 32


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CookieCacheSettings(_Section):
    """The signed ``session_data`` cookie that lets get-session skip the database (``session.cookieCache``)."""

    enabled: bool = False
    """``session.cookieCache.enabled``; off by default, as in Better Auth with a database."""
    max_age: int = Field(300, ge=1)
    """Seconds a cached session is trusted (``session.cookieCache.maxAge``)."""
    version: str = "1"
    """Bump to invalidate every cached cookie (``session.cookieCache.version``)."""


class SessionSettings(_Section):
    """Session lifetime and refresh (Better Auth: ``session``)."""

    expires_in: int = Field(604800, ge=1)
    """Session lifetime in seconds (Better Auth: ``session.expiresIn``, 7 days)."""
    update_age: int = Field(86400, ge=0)
    """Refresh the expiry when the last refresh is older than this (``session.updateAge``, 1 day)."""
    fresh_age: int = Field(86400, ge=0)
    """Sessions younger than this are "fresh" (``session.freshAge``); 0 disables the check."""
    disable_session_refresh: bool = False
    """Never slide the expiry (``session.disableSessionRefresh``)."""
    defer_session_refresh: bool = False
    """GET get-session never writes; the client POSTs to refresh (``session.deferSessionRefresh``)."""
    cookie_cache: CookieCacheSettings = CookieCacheSettings()
    """``session.cookieCache`` (``compact`` strategy)."""
    store_session_in_database: bool = False
    """With secondary storage, also write sessions to the database (``session.storeSessionInDatabase``).

    Off, as in Better Auth: sessions then live only in secondary storage, so a Redis that loses its data
    signs everyone out. On: the database keeps them too, and is read when Redis misses.
    """
    preserve_session_in_database: bool = False
    """Revoked sessions stay in the database, expired (``session.preserveSessionInDatabase``)."""


class EmailPasswordSettings(_Section):
    """Email and password authentication (Better Auth: ``emailAndPassword``)."""

    enabled: bool = True
    """Serve the email/password routes (``emailAndPassword.enabled``)."""
    disable_sign_up: bool = False
    """Refuse new sign-ups (``emailAndPassword.disableSignUp``)."""
    min_password_length: int = Field(8, ge=1)
    """``emailAndPassword.minPasswordLength``."""
    max_password_length: int = Field(128, ge=1)
    """``emailAndPassword.maxPasswordLength``."""
    auto_sign_in: bool = True
    """Create a session on sign-up (``emailAndPassword.autoSignIn``)."""
    require_email_verification: bool = False
    """Refuse sign-in until the email is verified (``emailAndPassword.requireEmailVerification``)."""
    revoke_sessions_on_password_reset: bool = False
    """``emailAndPassword.revokeSessionsOnPasswordReset``."""
    reset_password_token_expires_in: int = Field(3600, ge=1)
    """``emailAndPassword.resetPasswordTokenExpiresIn``."""
    password_reset: bool = True
    """Serve ``request-password-reset`` when an email sender is configured (Better Auth: ``sendResetPassword``)."""


class VerificationSettings(_Section):
    """Verification values: reset tokens, OAuth state (Better Auth: ``verification``)."""

    store_in_database: bool = False
    """With secondary storage, keep them in the database instead (``verification.storeInDatabase``)."""


class EmailVerificationSettings(_Section):
    """Email verification (Better Auth: ``emailVerification``); mails need an email sender."""

    enabled: bool = True
    """Send verification mails when an email sender is configured (``sendVerificationEmail``)."""
    send_on_sign_up: bool | None = None
    """Mail a verification link on sign-up; by default iff ``require_email_verification`` (``sendOnSignUp``)."""
    send_on_sign_in: bool = False
    """Mail a new link when an unverified user is refused sign-in (``sendOnSignIn``)."""
    auto_sign_in_after_verification: bool = False
    """Verifying the email signs the user in (``autoSignInAfterVerification``)."""
    expires_in: int = Field(3600, ge=1)
    """Lifetime of verification links in seconds (``expiresIn``)."""


class ChangeEmailSettings(_Section):
    """``user.changeEmail``."""

    enabled: bool = False
    """Serve ``change-email`` (``user.changeEmail.enabled``)."""
    update_email_without_verification: bool = False
    """Unverified users change their email at once (``updateEmailWithoutVerification``)."""
    send_confirmation_to_current_email: bool = False
    """Verified users first confirm from the current address (``sendChangeEmailConfirmation``)."""


class DeleteUserSettings(_Section):
    """``user.deleteUser``."""

    enabled: bool = False
    """Serve ``delete-user`` (``user.deleteUser.enabled``)."""
    send_verification_email: bool = False
    """Confirm deletion by an emailed link (``sendDeleteAccountVerification``)."""
    delete_token_expires_in: int = Field(86400, ge=1)
    """Lifetime of the deletion link in seconds (``deleteTokenExpiresIn``)."""


class UserSettings(_Section):
    """Self-service account changes (Better Auth: ``user``)."""

    change_email: ChangeEmailSettings = ChangeEmailSettings()
    delete_user: DeleteUserSettings = DeleteUserSettings()


class AdvancedSettings(_Section):
    """Cookies, origin checks and client IPs (Better Auth: ``advanced``)."""

    cookie_prefix: str = "better-auth"
    """``advanced.cookiePrefix``."""
    use_secure_cookies: bool | None = None
    """Force the ``__Secure-`` prefix and ``Secure`` flag; by default iff ``base_url`` is https."""
    disable_origin_check: bool = False
    """``advanced.disableOriginCheck``: also disables the CSRF check unless that is set explicitly."""
    disable_csrf_check: bool | None = None
    """``advanced.disableCSRFCheck``."""
    ip_address_headers: tuple[str, ...] = ("x-forwarded-for",)
    """``advanced.ipAddress.ipAddressHeaders``: only these headers are read for the client IP."""
    disable_ip_tracking: bool = False
    """``advanced.ipAddress.disableIpTracking``: store ``""`` instead of the client IP."""
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    """Addresses or CIDRs of the proxies in front of the app (``advanced.ipAddress.trustedProxies``).

    Only a request whose TCP peer is one of them has its ``ip_address_headers`` read, right to left,
    skipping these hops. Empty (the default): the client is the peer, whatever the headers say.
    Env: BETTER_AUTH_ADVANCED__TRUSTED_PROXIES, comma-separated.
    """
    trusted_proxy_hops: int = Field(0, ge=0, le=16)
    """Or: this many proxies always stand in front of the app (a cloud load balancer whose addresses
    change); the client is that many entries from the right of the forwarding header."""
    ipv6_subnet: int = Field(64, ge=8, le=128)
    """IPv6 clients are counted per prefix of this length (``advanced.ipAddress.ipv6Subnet``)."""

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {entry!r} is not an IP address or CIDR range") from None
        return value

    @model_validator(mode="after")
    def _one_proxy_rule(self) -> AdvancedSettings:
        if self.trusted_proxies and self.trusted_proxy_hops:
            raise ValueError("set trusted_proxies or trusted_proxy_hops, not both")
        return self


class RateLimitSettings(_Section):
    """Request rate limits (Better Auth: ``rateLimit``)."""

    enabled: bool | None = None
    """``rateLimit.enabled``; by default on in every environment but ``test`` (Better Auth: production only)."""
    storage: Literal["memory", "database", "secondary-storage"] | None = None
    """``rateLimit.storage``: by default ``secondary-storage`` when one is configured, else ``memory``.

    ``memory`` counts per worker process; ``database`` uses Better Auth's ``rateLimit`` table (shared by
    all workers and by a TypeScript server on the same database).
    """
    window: int = Field(10, ge=1)
    """Default window in seconds (``rateLimit.window``)."""
    max: int = Field(100, ge=1)
    """Default requests per window (``rateLimit.max``)."""
    custom_rules: dict[str, dict[str, int] | Literal[False]] = Field(default_factory=dict)
    """Per-path rules, ``{"/sign-in/email": {"window": 10, "max": 3}, "/ok": False}``; ``/x/*`` prefixes."""


class LockoutSettings(_Section):
    """Account lockout after repeated wrong passwords (this library's; Better Auth has none).

    Defaults follow OWASP's authentication guidance: a handful of attempts per client, a higher
    account-wide ceiling against distributed guessing (well under ASVS 2.2.1's 100 per hour), and a
    bounded lock that a password reset or an admin lifts.
    """

    enabled: bool = True
    max_failures: int = Field(5, ge=1)
    """Wrong passwords for one account from one client, within ``window``, that lock that client out."""
    account_max_failures: int = Field(20, ge=1)
    """Wrong passwords for one account from all clients, within ``window``, that lock the account."""
    window: int = Field(900, ge=1)
    """Seconds over which failures are counted (from the first one)."""
    duration: int = Field(900, ge=1)
    """Seconds a lock lasts; attempts during it are refused and not counted."""


class AccountLinkingSettings(_Section):
    """When a provider account may be attached to an existing user (Better Auth: ``account.accountLinking``).

    The defaults are Better Auth's safe ones: implicit linking only when the provider vouches for the
    email (or is listed in ``trusted_providers``) and the local email is verified, which closes the
    pre-registration takeover (someone signs up with your address first, then waits for you to
    sign in with Google).
    """

    enabled: bool = True
    trusted_providers: tuple[str, ...] = ()
    """Providers whose emails are trusted as if verified. Only list providers that verify emails."""
    allow_different_emails: bool = False
    """Allow ``link-social`` to attach an account whose email differs from the user's."""
    allow_unlinking_all: bool = False
    """Allow ``unlink-account`` to remove a user's last account (leaving no way to sign in)."""
    update_user_info_on_link: bool = False
    """Copy name and image from the provider when an account is linked."""
    require_local_email_verified: bool = True
    """Implicit linking requires the local user's email to be verified."""
    disable_implicit_linking: bool = False
    """Never link at sign-in; only ``link-social`` links."""


class AccountSettings(_Section):
    """Provider accounts and the OAuth flow (Better Auth: ``account``)."""

    account_linking: AccountLinkingSettings = AccountLinkingSettings()
    encrypt_oauth_tokens: bool = False
    """Store provider access and refresh tokens encrypted (``encryptOAuthTokens``; readable by a
    TypeScript server with the same secret). Id tokens stay in clear, as Better Auth keeps them."""
    update_account_on_sign_in: bool = True
    """Store the provider's fresh tokens at each sign-in (``updateAccountOnSignIn``)."""
    store_state_strategy: Literal["database", "cookie"] = "database"
    """Where a flow's state lives: a verification row plus a signed cookie, or an encrypted cookie."""
    skip_state_cookie_check: bool = False
    """Accept a callback from a browser without the flow's state cookie. Leave off: it is what stops
    an attacker from finishing their own sign-in in your browser (login CSRF)."""
    provider_timeout: float = Field(10.0, gt=0, le=120)
    """Seconds a provider has to answer each step (token, profile, keys, discovery) before the user is
    sent to the error URL (this library's; Better Auth waits as long as the provider takes)."""
    error_url: str | None = None
    """Where callback errors go when the flow has no ``errorCallbackURL`` (Better Auth:
    ``onAPIError.errorURL``); default ``<base_url>/error``."""


class VersionedSecret(_Section):
    """One entry of ``secrets`` (Better Auth 1.7.24: ``{version, value}``)."""

    version: int = Field(ge=0)
    value: SecretStr


class AuthSettings(BaseSettings):
    """Everything about the auth server that is data.

    Environment: ``BETTER_AUTH_SECRET``, ``BETTER_AUTH_URL``, ``BETTER_AUTH_TRUSTED_ORIGINS``
    (comma-separated), ``BETTER_AUTH_ENV`` and nested ones such as
    ``BETTER_AUTH_SESSION__EXPIRES_IN``.
    """

    model_config = SettingsConfigDict(
        env_prefix="BETTER_AUTH_",
        env_nested_delimiter="__",
        frozen=True,
        extra="ignore",
        populate_by_name=True,
    )

    secret: SecretStr | None = Field(None, validation_alias=AliasChoices("BETTER_AUTH_SECRET", "AUTH_SECRET"))
    """Signing secret. Env: BETTER_AUTH_SECRET or AUTH_SECRET (Better Auth: ``secret``)."""
    secrets: Annotated[tuple[VersionedSecret, ...], NoDecode] = Field(
        (), validation_alias=AliasChoices("BETTER_AUTH_SECRETS")
    )
    """Versioned secrets, newest first (Better Auth's ``secrets``). Env BETTER_AUTH_SECRETS: ``"2:new,1:old"``.

    The first signs cookies and tokens and encrypts new rows (as ``$ba$<version>$…`` envelopes); every
    version keeps opening what it made, and ``secret`` (if also set) keeps opening rows made before
    versions. Remove a version once nothing made with it is still in use."""
    previous_secrets: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    """Older secrets still accepted when verifying cookies (rotation). Env: comma-separated."""
    dev_secret_file: Path = Path(".fastapi-betterauth/secret")
    """Where development keeps the random secret it makes when none is set (never used in production).

    Env: BETTER_AUTH_DEV_SECRET_FILE. Its folder gets a ``.gitignore`` so the file is never committed.
    """
    base_url: str | None = Field(None, validation_alias=AliasChoices("BETTER_AUTH_URL", "BETTER_AUTH_BASE_URL"))
    """Public origin of the API, e.g. ``https://api.example.com``. Env: BETTER_AUTH_URL (``baseURL``).

    Required in production. In development, when unset, the origin of each request is used (as
    Better Auth does) but only for a loopback ``Host`` or a trusted origin: links are never built
    from a ``Host`` header an attacker chose.
    """
    base_path: str = "/api/auth"
    """Mount path of the auth routes (``basePath``)."""
    trusted_origins: Annotated[tuple[str, ...], NoDecode] = ()
    """Origins allowed to call with cookies and as redirect targets (``trustedOrigins``).

    Env: BETTER_AUTH_TRUSTED_ORIGINS, comma-separated. The origin of ``base_url`` is always trusted.
    """
    environment: Literal["development", "production", "test"] = Field(
        "development", validation_alias=AliasChoices("BETTER_AUTH_ENV")
    )
    """``production`` requires ``base_url`` and a strong secret. Env: BETTER_AUTH_ENV (Better Auth: NODE_ENV)."""
    max_body_size: int = Field(1024 * 1024, ge=1024)
    """Largest accepted request body in bytes; larger ones get 413 (Better Auth has no limit)."""
    password_hash_workers: int = Field(4, ge=1, le=64)
    """Threads that hash passwords, so sign-ins never block the event loop."""
    freeze_startup_heap: bool = True
    """Once started, keep Python's cyclic garbage collector off what startup built (``gc.freeze()``, once per
    process): its full collections walked that whole heap and paused every request for tens of milliseconds
    (get-session's p99 at 32 connections fell from ~60 to ~12 ms). Env: BETTER_AUTH_FREEZE_STARTUP_HEAP."""
    admin_user_ids: Annotated[tuple[str, ...], NoDecode] = ()
    """Users the admin plugin allows everything (``adminUserIds``); env BETTER_AUTH_ADMIN_USER_IDS, comma-separated.

    The way to bootstrap the first admin without touching the database; see also ``fastapi-betterauth create-admin``.
    """
    app_name: str = "Better Auth"
    """Shown in emails (Better Auth: ``appName``)."""
    session: SessionSettings = SessionSettings()
    email_and_password: EmailPasswordSettings = EmailPasswordSettings()
    email_verification: EmailVerificationSettings = EmailVerificationSettings()
    user: UserSettings = UserSettings()
    smtp: SMTPSettings | None = None
    """SMTP delivery (env ``BETTER_AUTH_SMTP__HOST`` etc.); used when no ``email_sender`` is passed."""
    advanced: AdvancedSettings = AdvancedSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    lockout: LockoutSettings = LockoutSettings()
    verification: VerificationSettings = VerificationSettings()
    account: AccountSettings = AccountSettings()

    @field_validator("secrets", mode="before")
    @classmethod
    def _parse_secrets(cls, value: object) -> object:
        if isinstance(value, str):  # BETTER_AUTH_SECRETS="2:new-secret,1:old-secret"
            entries = []
            for position, entry in enumerate(part.strip() for part in value.split(",") if part.strip()):
                version, sep, secret = entry.partition(":")
                if not sep or not version.strip().isdigit() or not secret.strip():
                    raise ValueError(f'BETTER_AUTH_SECRETS entry {position + 1}: expected "<version>:<secret>"')
                entries.append({"version": int(version), "value": secret.strip()})
            return tuple(entries)
        return value

    @field_validator("secrets")
    @classmethod
    def _check_secrets(cls, value: tuple[VersionedSecret, ...]) -> tuple[VersionedSecret, ...]:
        versions = [s.version for s in value]
        if len(set(versions)) != len(versions):
            raise ValueError(f"secrets: each version once (got {versions})")
        if any(not s.value.get_secret_value() for s in value):
            raise ValueError("secrets: empty secret value")
        return value

    @field_validator("trusted_origins", "previous_secrets", "admin_user_ids", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        try:
            parsed = URL(value)
        except ValueError:
            raise ValueError("base_url is not a valid URL") from None
        if parsed.username or parsed.password or parsed.search or parsed.hash:
            raise ValueError("base_url must not carry user-info, a query or a fragment")
        return value.rstrip("/")

    @field_validator("base_path")
    @classmethod
    def _check_base_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("base_path must start with '/'")
        return value.rstrip("/") or "/"

    def secret_value(self) -> str:
        """The signing secret: the configured one, or in development a random one kept in ``dev_secret_file``.

        Raises:
            ConfigurationError: a deployment (production, or an https ``base_url`` that is not
                localhost) without a strong secret.
        """
        from .deployment import resolve_secret

        return resolve_secret(self)

    def verification_secrets(self, current: str | None = None) -> tuple[str, ...]:
        """Current secret first, then the older ones: the order cookies and tokens are checked in."""
        current = current or self.secret_value()
        older = [s.value.get_secret_value() for s in self.secrets[1:]]
        if self.secrets and self.secret is not None:
            older.append(self.secret.get_secret_value())  # Better Auth's legacySecret
        older += [s.get_secret_value() for s in self.previous_secrets]
        return tuple(dict.fromkeys([current, *older]))

    def secret_config(self, current: str | None = None) -> SecretConfig:
        """What encrypts and decrypts stored values (jwks private keys, OAuth tokens, OAuth state)."""
        current = current or self.secret_value()
        legacy = self.verification_secrets(current)[1:]
        if not self.secrets:
            return SecretConfig(current, legacy=legacy)
        versions = {s.version: s.value.get_secret_value() for s in self.secrets}
        return SecretConfig(current, versions=versions, current_version=self.secrets[0].version, legacy=legacy)

"""The jwt plugin: ``GET /token``, ``GET /jwks`` and the ``set-auth-jwt`` header. Mirrors better-auth/src/plugins/jwt.

Keys live in the ``jwks`` table in Better Auth's exact format (private halves encrypted with the
secret), so a TypeScript server sharing the database serves and uses the same keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ...crypto.jwt import DEFAULT_CURVES
from ...errors import ConfigurationError
from ...protocol.context import AuthContext
from ...protocol.endpoint import AuthRequest, AuthResponse
from ...protocol.plugin import Plugin
from ..bearer import expose_header
from .endpoints import EXTENSION, JWTExtension, get_jwks, get_token, jwt_extension
from .options import JWTOptions, KeyPairConfig, PayloadBuilder, RemoteSigner, SigningOverrides, SubjectBuilder, seconds
from .schema import JWKS_TABLE
from .tokens import issue_token


def jwt(
    *,
    algorithm: str = "EdDSA",
    curve: str | None = None,
    modulus_length: int = 2048,
    rotation_interval: int | None = None,
    grace_period: int = 2592000,
    expiration_time: int | str = "15m",
    issuer: str | None = None,
    audience: str | None = None,
    define_payload: PayloadBuilder | None = None,
    disable_setting_jwt_header: bool = False,
    disable_private_key_encryption: bool = False,
    jwks_path: str = "/jwks",
    remote_jwks_url: str | None = None,
    revocation: bool = False,
    key_pair_configs: Sequence[KeyPairConfig | str] = (),
    get_subject: SubjectBuilder | None = None,
    sign: RemoteSigner | None = None,
) -> Plugin:
    """JWTs for the current session, and the key set that verifies them.

    Args:
        algorithm: ``EdDSA`` (Ed25519, the default), ``ES256``, ``ES512``, ``RS256`` or ``PS256``
            (Better Auth ``jwks.keyPairConfig.alg``).
        curve: for EdDSA/ES* (default Ed25519 / P-256 / P-521).
        modulus_length: RSA key size.
        rotation_interval: seconds until a key expires and a new one is made (``jwks.rotationInterval``).
        grace_period: seconds an expired key stays in ``/jwks`` (``jwks.gracePeriod``, 30 days).
        expiration_time: token lifetime, seconds or ``"15m"`` (``jwt.expirationTime``).
        issuer: ``iss`` (default: the base URL).
        audience: ``aud`` (default: the base URL).
        define_payload: ``(session, user) -> claims`` instead of the whole user (``jwt.definePayload``).
        disable_setting_jwt_header: no ``set-auth-jwt`` on get-session.
        disable_private_key_encryption: store private JWKs in clear (Better Auth's option; not advised).
        jwks_path: where the key set is served (``jwks.jwksPath``).
        remote_jwks_url: keys are served elsewhere: ``/jwks`` answers 404 (``jwks.remoteUrl``).
        revocation: this library's: JWTs carry their session's id (``sid``) and are refused as soon as
            the session ends (sign-out, revoke-session(s), a ban, a password change that revokes other
            sessions, user deletion). One storage lookup per verification, in the secondary storage
            (Redis: shared by every worker) or in this process's memory. Off: JWTs live until they
            expire, as in Better Auth.
        key_pair_configs: further algorithms (``KeyPairConfig("ES256")`` or just ``"ES256"``) that
            ``auth.sign_jwt(..., algorithm=...)`` may pin; each key is minted on first use
            (``jwks.keyPairConfigs``). Unpinned tokens keep using ``algorithm``.
        get_subject: ``(session, user) -> sub`` instead of the user id (``jwt.getSubject``).
        sign: ``(claims, extra_header, overrides) -> JWT``: sign elsewhere (a KMS or HSM) instead of
            with the ``jwks`` table (``jwt.sign``); needs ``remote_jwks_url``, where that signer's keys
            are published.

    Raises:
        ConfigurationError: an unknown algorithm, a bad ``jwks_path``, or ``sign`` without ``remote_jwks_url``.
    """
    if algorithm not in DEFAULT_CURVES:
        raise ConfigurationError(f"jwt(algorithm={algorithm!r}): use one of {', '.join(DEFAULT_CURVES)}")
    if sign is not None and remote_jwks_url is None:
        # Better Auth's rule: tokens signed elsewhere must be verifiable from where their keys are published.
        raise ConfigurationError("jwt(sign=...) needs remote_jwks_url=, where the signer's public keys are served")
    extra = tuple(KeyPairConfig(c) if isinstance(c, str) else c for c in key_pair_configs)
    for config in extra:
        if config.alg not in DEFAULT_CURVES:
            raise ConfigurationError(f"jwt(key_pair_configs=...): unknown algorithm {config.alg!r}")
    if not jwks_path.startswith("/") or ".." in jwks_path:
        raise ConfigurationError("jwt(jwks_path=...) must start with '/' and not contain '..'")
    options = JWTOptions(
        algorithm=algorithm,
        curve=curve,
        modulus_length=modulus_length,
        rotation_interval=rotation_interval,
        grace_period=grace_period,
        expiration_time=seconds(expiration_time),
        issuer=issuer,
        audience=audience,
        define_payload=define_payload,
        disable_setting_jwt_header=disable_setting_jwt_header,
        disable_private_key_encryption=disable_private_key_encryption,
        jwks_path=jwks_path,
        remote_jwks_url=remote_jwks_url,
        revocation=revocation,
        key_pair_configs=extra,
        get_subject=get_subject,
        sign=sign,
    )

    def init(auth: AuthContext) -> None:
        auth.extensions[EXTENSION] = JWTExtension(options, auth)

    async def on_response(auth: AuthContext, request: AuthRequest, response: AuthResponse) -> None:
        if options.disable_setting_jwt_header or request.path != "/get-session" or response.status != 200:
            return
        body: Any = response.body
        if not isinstance(body, dict) or not body.get("session") or not body.get("user"):
            return
        token = await issue_token(
            jwt_extension(auth).keys, options, body["session"], body["user"], auth.public_base(request)
        )
        response.headers.append(("set-auth-jwt", token))
        expose_header(response, "set-auth-jwt")

    return Plugin(
        id="jwt",
        endpoints=(get_token, replace(get_jwks, path=jwks_path)),
        schema=(JWKS_TABLE,),
        on_response=on_response,
        init=init,
    )


__all__ = ["EXTENSION", "JWTExtension", "KeyPairConfig", "SigningOverrides", "jwt", "jwt_extension"]

"""Who a provider's user is here: sign in, sign up, or link (``better-auth/src/oauth2/link-account.ts``).

The rules that decide account takeover live here and nowhere else:

* an account key ``(providerId, accountId)`` belongs to exactly one user, and signs that user in;
* an existing user with the same email gets the provider account attached at sign-in only when the
  provider vouches for the email (or is trusted by configuration) **and** the local email is verified
  (``require_local_email_verified``), and linking is enabled;
* an explicit link (``link-social``) needs the live session that started it, the same email (unless
  ``allow_different_emails``), and an account key no other user owns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..crypto.purpose import purpose_decrypt
from ..crypto.symmetric import DecryptionError
from ..db.adapter import Row, UniqueViolationError
from ..db.store import is_expired
from ..protocol.context import AnyContext
from ..protocol.routes._mail import send_verification_mail
from ..protocol.routes.accounts import parse_scopes
from ..protocol.sessions import start_session
from ..protocol.validation import js_trim
from .provider import OAuthProvider, OAuthTokens, UserInfo

logger = logging.getLogger("fastapi_betterauth.social")


def _looks_encrypted(token: str) -> bool:
    """Better Auth's ``isLikelyEncrypted``: an envelope, or even-length hex."""
    if token.startswith("$ba$"):
        return True
    return len(token) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in token)


def seal_token(ctx: AnyContext, token: str | None) -> str | None:
    """A provider token as stored: encrypted with ``account.encrypt_oauth_tokens`` (``setTokenUtil``)."""
    if token and ctx.auth.settings.account.encrypt_oauth_tokens:
        return ctx.auth.secret_config.encrypt(token)
    return token


def open_token(ctx: AnyContext, stored: str | None) -> str | None:
    """A stored provider token in clear (``decryptOAuthToken``).

    Raises:
        DecryptionError: encryption is on and the value looks encrypted but no secret opens it.
    """
    if not stored or not ctx.auth.settings.account.encrypt_oauth_tokens or not _looks_encrypted(stored):
        return stored
    return ctx.auth.secret_config.decrypt(stored)


def account_values(ctx: AnyContext, tokens: OAuthTokens, *, with_scope: bool) -> Row:
    """The account columns a token response sets (tokens sealed; provider-omitted ones left out)."""
    values: Row = {
        "accessToken": seal_token(ctx, tokens.access_token),
        "refreshToken": seal_token(ctx, tokens.refresh_token),
        "idToken": tokens.id_token,
        "accessTokenExpiresAt": tokens.access_token_expires_at,
        "refreshTokenExpiresAt": tokens.refresh_token_expires_at,
    }
    values = {k: v for k, v in values.items() if v is not None}
    if with_scope:
        values["scope"] = ",".join(tokens.scopes)
    return values


def merge_scopes(stored: str | None, incoming: tuple[str, ...]) -> str:
    """Union of stored (comma-separated) and new scopes, in order (``mergeScopes``)."""
    merged = parse_scopes(stored) + [js_trim(s) for s in incoming if js_trim(s)]
    return ",".join(dict.fromkeys(merged))


@dataclass(frozen=True)
class SignInResult:
    """A signed-in user, or Better Auth's error string (``account not linked``...)."""

    session: Row | None = None
    user: Row | None = None
    is_register: bool = False
    error: str | None = None


def is_trusted(ctx: AnyContext, provider_id: str) -> bool:
    """Whether configuration trusts this provider's emails as verified."""
    return provider_id in ctx.auth.settings.account.account_linking.trusted_providers


async def _apply_user_info_on_link(ctx: AnyContext, user_id: str, info: UserInfo) -> Row | None:
    """``updateUserInfoOnLink``: name, image and mapped fields; never the email or its verified flag."""
    if not ctx.auth.settings.account.account_linking.update_user_info_on_link:
        return None
    values = {k: v for k, v in {"name": info.name, "image": info.image, **info.extra}.items() if v is not None}
    try:
        return await ctx.store.update_user(user_id, values)
    except Exception:  # a failed profile sync must not abort the link
        logger.warning("could not update user info on account link", exc_info=True)
        return None


async def sign_in_with_provider(
    ctx: AnyContext,
    provider: OAuthProvider,
    info: UserInfo,
    account: Row,
    *,
    callback_url: str | None,
    disable_sign_up: bool,
) -> SignInResult:
    """Sign in the owner of the provider account, link it to the user with its email, or sign up.

    ``account`` holds the columns to store (tokens sealed). Errors come back as Better Auth's strings;
    a plugin's refusal (a banned user) raises its ``AuthError``.
    """
    email = (info.email or "").lower()
    settings = ctx.auth.settings.account
    linking = settings.account_linking
    owned = await ctx.store.find_account_by_key(provider.id, info.account_id)
    user: Row | None
    if owned is not None:
        user = await ctx.store.find_user_by_id(owned["userId"])
        if user is None:
            logger.error("an OAuth account references a missing user; repair it before retrying")
            return SignInResult(error="unable to link account")
        if settings.update_account_on_sign_in:
            fresh = {k: v for k, v in account.items() if k != "scope"}  # scope changes only through link-social
            if fresh and await ctx.store.update_account(owned["id"], fresh) is None:
                return SignInResult(error="unable to update account")
        user = await _verify_email_from_provider(ctx, user, info, email)
        is_register = False
    else:
        user = await ctx.store.find_user_by_email(email)
        if user is not None:
            allowed = (is_trusted(ctx, provider.id) or info.email_verified) and (
                user.get("emailVerified") or not linking.require_local_email_verified
            )
            if not allowed or not linking.enabled or linking.disable_implicit_linking:
                return SignInResult(error="account not linked")
            try:
                await ctx.store.create_account(
                    {**account, "providerId": provider.id, "accountId": info.account_id, "userId": user["id"]}
                )
            except Exception:
                logger.exception("unable to link account")
                return SignInResult(error="unable to link account")
            ctx.audit("account_linked", subject_id=user["id"], reason=provider.id)
            user = await _verify_email_from_provider(ctx, user, info, email)
            user = await _apply_user_info_on_link(ctx, user["id"], info) or user
            is_register = False
        else:
            if disable_sign_up:
                return SignInResult(error="signup disabled")
            try:
                user, _ = await ctx.store.create_user_with_account(
                    {
                        "name": info.name,
                        "image": info.image,
                        **info.extra,
                        "email": email,
                        "emailVerified": info.email_verified,
                    },
                    {**account, "providerId": provider.id, "accountId": info.account_id},
                )
            except UniqueViolationError:
                return SignInResult(error="unable to create user")  # a concurrent sign-up took the email
            except Exception:
                logger.exception("unable to create an OAuth user")
                return SignInResult(error="unable to create user")
            is_register = True
    if provider.override_user_info_on_sign_in and not is_register:
        values: Row = {"name": info.name, "image": info.image, **info.extra}
        if email != user["email"]:
            values |= {"email": email, "emailVerified": info.email_verified}
        user = await ctx.store.update_user(user["id"], {k: v for k, v in values.items() if v is not None}) or user
    verification = ctx.auth.settings.email_verification
    if is_register and not user.get("emailVerified"):
        send_on_sign_up = verification.send_on_sign_up
        if send_on_sign_up if send_on_sign_up is not None else provider.require_email_verification:
            send_verification_mail(ctx, user, callback_url)
    if provider.require_email_verification and not user.get("emailVerified"):
        if not is_register and verification.send_on_sign_in:
            send_verification_mail(ctx, user, callback_url)
        return SignInResult(error="email_not_verified", is_register=is_register)
    session = await start_session(ctx, user, remember=True, audit="sign_up" if is_register else "sign_in")
    return SignInResult(session=session, user=user, is_register=is_register)


async def _verify_email_from_provider(ctx: AnyContext, user: Row, info: UserInfo, email: str) -> Row:
    """A provider that vouches for the user's own email marks it verified here too."""
    if info.email_verified and not user.get("emailVerified") and email == user["email"]:
        return await ctx.store.update_user(user["id"], {"emailVerified": True}) or user
    return user


async def _link_session_is_live(ctx: AnyContext, link: dict[str, str]) -> bool:
    """The session that started a link still exists, is the same user's and has not expired."""
    sealed = link.get("encryptedSessionToken")
    if not sealed:
        return True  # a link started by a server-side call carries no session
    try:
        token = purpose_decrypt(ctx.auth.secret_config, "oauth-link-session-token", sealed)
    except DecryptionError:
        return False
    found = await ctx.store.find_session(token)
    return found is not None and found[0]["userId"] == link["userId"] and not is_expired(found[0])


async def link_provider_account(
    ctx: AnyContext,
    provider: OAuthProvider,
    info: UserInfo,
    account: Row,
    scopes: tuple[str, ...],
    link: dict[str, str],
) -> str | None:
    """Attach a provider account to the user who asked (``link-social`` callback); the error code or ``None``."""
    if not await _link_session_is_live(ctx, link):
        return "unable_to_link_account"
    linking = ctx.auth.settings.account.account_linking
    if (not is_trusted(ctx, provider.id) and not info.email_verified) or not linking.enabled:
        return "unable_to_link_account"
    if (info.email or "").lower() != link["email"].lower() and not linking.allow_different_emails:
        return "email_does_not_match"
    existing = await ctx.store.find_account_by_key(provider.id, info.account_id)
    if existing is not None:
        if existing["userId"] != link["userId"]:
            return "account_already_linked_to_different_user"
        values = {k: v for k, v in account.items() if k != "scope"}
        merged = merge_scopes(existing.get("scope"), scopes)
        if merged:
            values["scope"] = merged
        await ctx.store.update_account(existing["id"], values)
    else:
        try:
            await ctx.store.create_account(
                {**account, "providerId": provider.id, "accountId": info.account_id, "userId": link["userId"]}
            )
        except Exception:
            logger.exception("unable to link account")
            return "unable_to_link_account"
        ctx.audit("account_linked", subject_id=link["userId"], reason=provider.id)
    await _apply_user_info_on_link(ctx, link["userId"], info)
    return None


def user_fields(info: UserInfo) -> dict[str, Any]:
    """The provider's view of the user, as ``/account-info`` answers it."""
    fields = {"name": info.name, "email": info.email, "image": info.image, "emailVerified": info.email_verified}
    return {k: v for k, v in {**fields, **info.extra}.items() if v is not None}  # absent, as JSON drops undefined

"""Social sign-in routes: ``/sign-in/social``, ``/callback/:id`` and ``/link-social``.

Mirror ``better-auth/src/api/routes/{sign-in,callback,account}.ts`` of 1.7.24 (see the social wire
reference): the same bodies, answers and ``?error=`` codes, in the same order of checks. Redirect
targets (``callbackURL``, ``errorCallbackURL``, ``newUserCallbackURL``) were judged and normalised by
the router's URL trust check before the handler runs; the flow stores and later emits exactly those.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, NotRequired

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_validator
from typing_extensions import TypedDict

from ..crypto.purpose import purpose_encrypt
from ..crypto.signing import encode_uri_component
from ..db.adapter import Row
from ..errors import AuthError, ErrorCode
from ..protocol.context import AnyContext, EndpointContext
from ..protocol.endpoint import AuthResponse, ErrorDoc, Redirect, endpoint
from ..protocol.redirects import redirect
from ..protocol.routes._shared import WireBody
from ..protocol.shapes import UserOut
from ..protocol.urls import append_query_params, form_encode
from .authorize import RESERVED_PARAMS, authorization_url
from .linking import account_values, is_trusted, link_provider_account, seal_token, sign_in_with_provider
from .oauth_client import ProviderError, map_profile
from .provider import OAuthProvider, OAuthTokens, UserInfo
from .registry import SocialProviders
from .state import StateError, create_state, parse_state

logger = logging.getLogger("fastapi_betterauth.social")
TAGS = ("Social sign-in",)
UNAVAILABLE_DESCRIPTION = "The sign-in provider did not respond. Try again later, or sign in with email and password."
_CALLBACK_FIELDS = ("code", "error", "device_id", "error_description", "state", "user", "iss")


class IdTokenUser(WireBody):
    """Apple's user object (name and email), sent by the client with an id token."""

    name: dict[str, StrictStr] | None = None
    email: StrictStr | None = None


class IdTokenBody(WireBody):
    """An id token obtained by the client (Google One Tap, a native app)."""

    token: StrictStr
    nonce: StrictStr | None = None
    access_token: StrictStr | None = Field(None, alias="accessToken")
    refresh_token: StrictStr | None = Field(None, alias="refreshToken")
    expires_at: StrictInt | StrictFloat | None = Field(None, alias="expiresAt")
    user: IdTokenUser | None = None


class _FlowBody(WireBody):
    """What starting a redirect flow takes (shared by sign-in and linking)."""

    body_required = True

    provider: StrictStr
    callback_url: StrictStr | None = Field(None, alias="callbackURL")
    error_callback_url: StrictStr | None = Field(None, alias="errorCallbackURL")
    disable_redirect: StrictBool | None = Field(None, alias="disableRedirect")
    id_token: IdTokenBody | None = Field(None, alias="idToken")
    scopes: list[StrictStr] | None = None
    request_sign_up: StrictBool | None = Field(None, alias="requestSignUp")
    login_hint: StrictStr | None = Field(None, alias="loginHint")
    additional_params: dict[str, StrictStr] | None = Field(None, alias="additionalParams")
    additional_data: dict[str, Any] | None = Field(None, alias="additionalData")

    @field_validator("additional_params")
    @classmethod
    def _no_reserved(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value and RESERVED_PARAMS.intersection(value):
            reserved = (
                "state, client_id, redirect_uri, response_type, code_challenge, code_challenge_method, nonce, scope"
            )
            raise ValueError(f"additionalParams cannot include reserved OAuth parameters: {reserved}")
        return value


class SignInSocialBody(_FlowBody):
    """Body of ``POST /sign-in/social``."""

    new_user_callback_url: StrictStr | None = Field(None, alias="newUserCallbackURL")


class LinkSocialBody(_FlowBody):
    """Body of ``POST /link-social``."""


class SocialSignInResponse(TypedDict):
    """The provider's authorization URL to go to, or (``idToken``) the new session's token and user."""

    redirect: bool
    url: NotRequired[str]
    token: NotRequired[str]
    user: NotRequired[UserOut]


class LinkSocialResponse(TypedDict):
    """The provider's authorization URL, or (``idToken``) ``status: true`` once linked."""

    url: str
    redirect: bool
    status: NotRequired[bool]


def registry(ctx: AnyContext) -> SocialProviders:
    """The server's providers (an empty set when none are configured)."""
    return ctx.auth.social if ctx.auth.social is not None else SocialProviders()


async def provider_for(ctx: AnyContext, provider_id: str) -> OAuthProvider:
    """The provider a request names.

    Raises:
        AuthError: 404 ``PROVIDER_NOT_FOUND``; 503 ``PROVIDER_UNAVAILABLE`` while its discovery
            document cannot be read.
    """
    try:
        provider = await registry(ctx).get(provider_id)
    except ProviderError as error:
        logger.warning("provider %s is unavailable: %s", provider_id, error)
        raise AuthError(503, ErrorCode.PROVIDER_UNAVAILABLE, headers={"Retry-After": "30"}) from None
    if provider is None:
        raise AuthError(404, ErrorCode.PROVIDER_NOT_FOUND)
    return provider


def redirect_uri(ctx: AnyContext, provider: OAuthProvider) -> str:
    """``<baseURL>/callback/<id>``: the redirect URI to register at the provider."""
    return ctx.auth.base_url(ctx.request) + provider.callback_path()


async def _start_flow(
    ctx: AnyContext, provider: OAuthProvider, body: _FlowBody, *, new_user_url: str | None, link: dict[str, str] | None
) -> tuple[str, bool]:
    """Store the flow and build the authorization URL (sent as ``Location`` too unless ``disableRedirect``)."""
    callback_url = body.callback_url or ctx.auth.public_base(ctx.request)
    nonce = secrets.token_urlsafe(24) if provider.requires_nonce else None
    flow = await create_state(
        ctx,
        callback_url=callback_url,
        error_url=body.error_callback_url or None,
        new_user_url=new_user_url or None,
        request_sign_up=body.request_sign_up,
        link=link,
        additional_data=body.additional_data,
        id_token_nonce=nonce,
    )
    url = authorization_url(
        provider,
        state=flow.state,
        code_verifier=flow.code_verifier,
        redirect_uri=redirect_uri(ctx, provider),
        scopes=body.scopes or (),
        login_hint=body.login_hint,
        nonce=nonce,
        additional_params=body.additional_params,
    )
    if not body.disable_redirect:
        ctx.set_header("Location", url)
    return url, not body.disable_redirect


async def _id_token_user(ctx: AnyContext, provider: OAuthProvider, id_token: IdTokenBody) -> UserInfo:
    """The user of a client-supplied id token, verified (signature, issuer, audience, age, nonce).

    Raises:
        AuthError: 404 ``ID_TOKEN_NOT_SUPPORTED``, 401 ``INVALID_TOKEN``, ``FAILED_TO_GET_USER_INFO`` or
            ``USER_EMAIL_NOT_FOUND``.
    """
    if not provider.supports_id_token:
        raise AuthError(404, ErrorCode.ID_TOKEN_NOT_SUPPORTED)
    try:
        claims = await registry(ctx).client.verify_id_token(provider, id_token.token, id_token.nonce)
    except ProviderError:
        claims = None
    if claims is None:
        raise AuthError(401, ErrorCode.INVALID_TOKEN)
    info = map_profile(provider, claims)
    if info is None or (provider.profile_source == "id_token_or_userinfo" and not claims.get("email")):
        raise AuthError(401, ErrorCode.FAILED_TO_GET_USER_INFO)
    if not info.email:
        raise AuthError(401, ErrorCode.USER_EMAIL_NOT_FOUND)
    return info


@endpoint(
    "POST",
    "/sign-in/social",
    tags=TAGS,
    operation_id="socialSignIn",
    body=SignInSocialBody,
    response=SocialSignInResponse,
    errors=(
        ErrorDoc(400, (ErrorCode.CALLBACK_URL_REQUIRED,)),
        ErrorDoc(401, (ErrorCode.INVALID_TOKEN, ErrorCode.FAILED_TO_GET_USER_INFO, ErrorCode.USER_EMAIL_NOT_FOUND)),
        ErrorDoc(403, (ErrorCode.EMAIL_NOT_VERIFIED,)),
        ErrorDoc(404, (ErrorCode.PROVIDER_NOT_FOUND, ErrorCode.ID_TOKEN_NOT_SUPPORTED)),
        ErrorDoc(503, (ErrorCode.PROVIDER_UNAVAILABLE,)),
    ),
)
async def sign_in_social(ctx: EndpointContext[SignInSocialBody, None]) -> SocialSignInResponse | AuthResponse:
    """Sign in with a social provider.

    Without ``idToken``: answers the provider's authorization URL (and ``Location``); the browser
    comes back to ``/callback/<provider>``. With ``idToken`` (Google One Tap, native apps): verifies it
    and signs in at once.
    """
    body = ctx.body
    provider = await provider_for(ctx, body.provider)
    if body.id_token is None:
        url, go = await _start_flow(ctx, provider, body, new_user_url=body.new_user_callback_url, link=None)
        return {"url": url, "redirect": go}
    info = await _id_token_user(ctx, provider, body.id_token)
    account: Row = {"accessToken": seal_token(ctx, body.id_token.access_token), "idToken": body.id_token.token}
    result = await sign_in_with_provider(
        ctx,
        provider,
        info,
        {k: v for k, v in account.items() if v is not None},
        callback_url=body.callback_url,
        disable_sign_up=(provider.disable_implicit_sign_up and not body.request_sign_up) or provider.disable_sign_up,
    )
    if result.error is not None:
        if result.error == "email_not_verified":
            raise AuthError(403, ErrorCode.EMAIL_NOT_VERIFIED)
        raise AuthError(401, ErrorCode.OAUTH_LINK_ERROR, result.error)
    assert result.session is not None and result.user is not None
    return {"redirect": False, "token": result.session["token"], "user": ctx.auth.public_user(result.user)}


# -- the callback -------------------------------------------------------------------------------


class CallbackBody(WireBody):
    """A provider's answer posted back (``response_mode=form_post``)."""

    code: StrictStr | None = None
    error: StrictStr | None = None
    device_id: StrictStr | None = None
    error_description: StrictStr | None = None
    state: StrictStr | None = None
    user: StrictStr | None = None
    iss: StrictStr | None = None


def _default_error_url(ctx: AnyContext) -> str:
    return ctx.auth.settings.account.error_url or f"{ctx.auth.base_url(ctx.request)}/error"


def _error_redirect(url: str, error: str, description: str | None = None) -> AuthResponse:
    """302 to ``url`` with ``error`` (and ``error_description``) appended, fragment kept last."""
    params = {"error": error} | ({"error_description": description} if description else {})
    return redirect(append_query_params(url, params))


def _callback_params(ctx: AnyContext) -> dict[str, str] | None:
    """The callback's parameters from the query; ``None`` when one is not a single string."""
    params: dict[str, str] = {}
    for key in _CALLBACK_FIELDS:
        value = ctx.request.query.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            return None
        params[key] = value
    return params


@endpoint(
    "POST",
    "/callback/{id}",
    tags=TAGS,
    operation_id="handleOAuthCallbackPost",
    body=CallbackBody,
    response=Redirect,
    media="json+form",
    redirect="GET /callback/{id} with the posted parameters (so SameSite=Lax cookies are sent)",
)
async def callback_oauth_post(ctx: EndpointContext[CallbackBody, None]) -> Redirect | AuthResponse:
    """A provider's ``form_post`` answer: re-enter as a GET so the state cookie comes along."""
    merged = {k: v for k, v in ctx.body.model_dump(exclude_none=True).items() if k in _CALLBACK_FIELDS}
    query = _callback_params(ctx) or {}
    merged |= query
    # The id is percent-encoded: a decoded path parameter may hold CR/LF or non-ASCII, never put raw in a header.
    target = f"{ctx.auth.base_url(ctx.request)}/callback/{encode_uri_component(ctx.request.params['id'])}"
    ordered = [(k, merged[k]) for k in _CALLBACK_FIELDS if k in merged]
    return redirect(f"{target}?{form_encode(ordered)}" if ordered else f"{target}?")


@endpoint(
    "GET",
    "/callback/{id}",
    tags=TAGS,
    operation_id="handleOAuthCallback",
    response=Redirect,
    redirect="callbackURL (newUserCallbackURL for a new user), or the error URL with ?error=<code>",
)
async def callback_oauth(ctx: EndpointContext[None, None]) -> Redirect | AuthResponse:
    """Where the provider sends the browser back: finish sign-in or linking and redirect."""
    default_error_url = _default_error_url(ctx)
    params = _callback_params(ctx)
    if params is None:
        return _error_redirect(default_error_url, "invalid_callback_request")
    state = params.get("state")
    if not state:
        return _error_redirect(default_error_url, "state_not_found")
    try:
        flow = await parse_state(ctx, state)
    except StateError as error:
        return _error_redirect(error.error_url or default_error_url, error.code)
    error_url = flow.error_url or default_error_url
    if params.get("error"):
        return _error_redirect(error_url, params["error"], params.get("error_description"))
    code = params.get("code")
    if not code:
        return _error_redirect(error_url, "no_code")
    social = registry(ctx)
    try:
        provider = await social.get(ctx.request.params["id"])
    except ProviderError:
        return _error_redirect(error_url, "invalid_code", UNAVAILABLE_DESCRIPTION)
    if provider is None:
        return _error_redirect(error_url, "oauth_provider_not_found")
    iss = params.get("iss")
    if iss and provider.issuer and iss != provider.issuer:
        return _error_redirect(error_url, "issuer_mismatch")
    if provider.requires_nonce and not flow.id_token_nonce:
        return _error_redirect(error_url, "nonce_binding_missing")
    try:
        tokens = await social.client.exchange_code(
            provider,
            code=code,
            code_verifier=flow.code_verifier,
            redirect_uri=redirect_uri(ctx, provider),
            device_id=params.get("device_id"),
        )
    except ProviderError as error:
        logger.warning("provider %s: code exchange failed: %s", provider.id, error)
        return _error_redirect(error_url, "invalid_code", UNAVAILABLE_DESCRIPTION if error.unavailable else None)
    try:
        info = await social.client.user_info(provider, tokens, expected_nonce=flow.id_token_nonce)
    except ProviderError as error:
        logger.warning("provider %s: user info failed: %s", provider.id, error)
        info = None
        if error.unavailable:
            return _error_redirect(error_url, "unable_to_get_user_info", UNAVAILABLE_DESCRIPTION)
    if info is None:
        return _error_redirect(error_url, "unable_to_get_user_info")
    if not flow.callback_url:
        return _error_redirect(error_url, "no_callback_url")
    return await _finish(ctx, provider, flow.link, tokens, info, flow, error_url)


async def _finish(
    ctx: AnyContext,
    provider: OAuthProvider,
    link: dict[str, str] | None,
    tokens: OAuthTokens,
    info: UserInfo,
    flow: Any,
    error_url: str,
) -> AuthResponse:
    """Link, or sign in / up, and redirect."""
    account = account_values(ctx, tokens, with_scope=True)
    if link is not None:
        failed = await link_provider_account(ctx, provider, info, account, tokens.scopes, link)
        if failed is not None:
            return _error_redirect(error_url, failed)
        return redirect(flow.callback_url)
    if not info.email:
        logger.error("provider %s returned no email; request its email scope", provider.id)
        return _error_redirect(error_url, "email_not_found")
    try:
        result = await sign_in_with_provider(
            ctx,
            provider,
            info,
            account,
            callback_url=flow.callback_url,
            disable_sign_up=(provider.disable_implicit_sign_up and not flow.request_sign_up)
            or provider.disable_sign_up,
        )
    except AuthError as error:
        if error.code is None:
            raise
        return _error_redirect(error_url, error.code.value, error.message)
    if result.error is not None:
        return _error_redirect(error_url, result.error.replace(" ", "_"))
    target = (flow.new_user_url or flow.callback_url) if result.is_register else flow.callback_url
    return redirect(target)


# -- link-social --------------------------------------------------------------------------------


@endpoint(
    "POST",
    "/link-social",
    tags=TAGS,
    operation_id="linkSocialAccount",
    body=LinkSocialBody,
    response=LinkSocialResponse,
    auth="sensitive",
    errors=(
        ErrorDoc(
            401,
            (ErrorCode.INVALID_TOKEN, ErrorCode.LINKING_NOT_ALLOWED, ErrorCode.LINKING_DIFFERENT_EMAILS_NOT_ALLOWED),
        ),
        ErrorDoc(404, (ErrorCode.PROVIDER_NOT_FOUND, ErrorCode.ID_TOKEN_NOT_SUPPORTED)),
        ErrorDoc(409, (ErrorCode.SOCIAL_ACCOUNT_ALREADY_LINKED,)),
        ErrorDoc(417, (ErrorCode.LINKING_FAILED,)),
        ErrorDoc(503, (ErrorCode.PROVIDER_UNAVAILABLE,)),
    ),
)
async def link_social(ctx: EndpointContext[LinkSocialBody, None]) -> LinkSocialResponse | AuthResponse:
    """Link a social account to the signed-in user.

    Without ``idToken``: answers the provider's authorization URL; the callback links the account and
    redirects to ``callbackURL`` (the session is not changed). With ``idToken``: links at once.
    """
    body = ctx.body
    session, user = await ctx.require_session()
    provider = await provider_for(ctx, body.provider)
    if body.id_token is None:
        link = {
            "userId": user["id"],
            "email": user["email"],
            "encryptedSessionToken": purpose_encrypt(
                ctx.auth.secret_config, "oauth-link-session-token", session["token"]
            ),
        }
        url, go = await _start_flow(ctx, provider, body, new_user_url=None, link=link)
        return {"url": url, "redirect": go}
    info = await _id_token_user(ctx, provider, body.id_token)
    values: Row = {
        "accessToken": seal_token(ctx, body.id_token.access_token),
        "idToken": body.id_token.token,
        "refreshToken": seal_token(ctx, body.id_token.refresh_token),
    }
    values = {k: v for k, v in values.items() if v is not None}
    existing = await ctx.store.find_account_by_key(provider.id, info.account_id)
    if existing is not None and existing["userId"] == user["id"]:
        await ctx.store.update_account(existing["id"], values)
        return {"url": "", "status": True, "redirect": False}
    if existing is not None:
        raise AuthError(409, ErrorCode.SOCIAL_ACCOUNT_ALREADY_LINKED)
    linking = ctx.auth.settings.account.account_linking
    if (not is_trusted(ctx, provider.id) and not info.email_verified) or not linking.enabled:
        raise AuthError(401, ErrorCode.LINKING_NOT_ALLOWED)
    if (info.email or "").lower() != user["email"].lower() and not linking.allow_different_emails:
        raise AuthError(401, ErrorCode.LINKING_DIFFERENT_EMAILS_NOT_ALLOWED)
    try:
        await ctx.store.create_account(
            {**values, "providerId": provider.id, "accountId": info.account_id, "userId": user["id"]}
        )
    except Exception:
        logger.exception("unable to link account")
        raise AuthError(417, ErrorCode.LINKING_FAILED) from None
    ctx.audit("account_linked", subject_id=user["id"], reason=provider.id)
    return {"url": "", "status": True, "redirect": False}

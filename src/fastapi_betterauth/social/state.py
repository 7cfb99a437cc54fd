"""OAuth flow state: what ``/sign-in/social`` remembers for ``/callback/:id`` (``better-auth/src/state.ts``).

Database strategy (the default): a verification row ``auth-state:<state>`` holding the flow as JSON,
plus the signed ``<prefix>.state`` cookie (5 minutes) that binds the flow to the browser that started
it. Cookie strategy: the flow encrypted into ``<prefix>.oauth_state`` (10 minutes), no row.

The checks run in Better Auth's order, because the order decides which error a user sees; on top of
it, the row is consumed atomically, so a state (and the code that came with it) works once even when
two callbacks race.
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from ..crypto.purpose import purpose_decrypt, purpose_encrypt
from ..crypto.random import generate_id
from ..crypto.symmetric import DecryptionError
from ..protocol.context import AnyContext
from ..protocol.endpoint import SetCookie

STATE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
"""``generateRandomString(n)`` with Better Auth's ``a-z0-9A-Z-_`` alphabet (64 symbols: 6 bits each)."""
STATE_TTL = 600
"""Seconds a flow may take (the row's ``expiresAt`` and the value's ``expiresAt``)."""
STATE_COOKIE_MAX_AGE = 300
OAUTH_STATE_COOKIE_MAX_AGE = 600
_INTERNAL_KEYS = (
    "callbackURL",
    "codeVerifier",
    "errorURL",
    "newUserURL",
    "link",
    "serverContext",
    "expiresAt",
    "requestSignUp",
    "idTokenNonce",
)


def state_identifier(state: str) -> str:
    """The verification identifier of a flow (Better Auth 1.7.24's ``auth-state:`` prefix)."""
    return f"auth-state:{state}"


class StateError(Exception):
    """The callback's state is missing, unknown, forged, from another browser or expired.

    ``code`` is the ``?error=`` value; ``error_url`` the flow's own error URL once the state was read.
    """

    def __init__(self, code: str, error_url: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.error_url = error_url


@dataclass(frozen=True)
class FlowState:
    """A parsed flow."""

    callback_url: str
    code_verifier: str
    error_url: str | None
    new_user_url: str | None
    link: dict[str, str] | None
    request_sign_up: bool
    id_token_nonce: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class NewFlow:
    """A started flow: the ``state`` parameter and the PKCE verifier."""

    state: str
    code_verifier: str


def _flow_value(additional_data: dict[str, Any] | None, internal: dict[str, Any], state: str) -> dict[str, Any]:
    """The stored JSON: the client's ``additionalData`` first, then the flow's own keys.

    The flow's keys always win: a key the flow leaves unset is dropped, never taken from the client.
    """
    value = dict(additional_data or {})
    for key in _INTERNAL_KEYS:
        ours = internal.get(key)
        if ours is None:
            value.pop(key, None)
        else:
            value[key] = ours
    value.pop("oauthState", None)
    value["oauthState"] = state
    return value


async def create_state(
    ctx: AnyContext,
    *,
    callback_url: str,
    error_url: str | None,
    new_user_url: str | None,
    request_sign_up: bool | None,
    link: dict[str, str] | None = None,
    additional_data: dict[str, Any] | None = None,
    id_token_nonce: str | None = None,
) -> NewFlow:
    """Remember a new flow and set its cookie."""
    state = generate_id(32, STATE_ALPHABET)
    code_verifier = generate_id(128, STATE_ALPHABET)
    internal = {
        "callbackURL": callback_url,
        "codeVerifier": code_verifier,
        "errorURL": error_url,
        "newUserURL": new_user_url,
        "link": link,
        "expiresAt": int(time.time() * 1000) + STATE_TTL * 1000,
        "requestSignUp": request_sign_up,
        "idTokenNonce": id_token_nonce,
    }
    value = json.dumps(_flow_value(additional_data, internal, state), separators=(",", ":"), ensure_ascii=False)
    auth = ctx.auth
    cookies = auth.cookies
    if auth.settings.account.store_state_strategy == "cookie":
        sealed = purpose_encrypt(auth.secret_config, "oauth-state-cookie", value)
        ctx.set_cookie(
            SetCookie(cookies.name("oauth_state"), sealed, OAUTH_STATE_COOKIE_MAX_AGE, secure=cookies.secure)
        )
        return NewFlow(state, code_verifier)
    signed = cookies.signed(cookies.name("state"), state, auth.secret)
    ctx.set_cookie(SetCookie(signed.name, signed.value, STATE_COOKIE_MAX_AGE, secure=cookies.secure))
    await ctx.store.create_verification(state_identifier(state), value, expires_in=STATE_TTL)
    return NewFlow(state, code_verifier)


def _flow(data: Any) -> FlowState:
    """Validate a stored flow (Better Auth's ``stateDataSchema``).

    Raises:
        StateError: ``internal_server_error``, as Better Auth answers a row it cannot parse.
    """
    if not isinstance(data, dict):
        raise StateError("internal_server_error")
    callback, verifier, expires = data.get("callbackURL"), data.get("codeVerifier"), data.get("expiresAt")
    if not isinstance(callback, str) or not isinstance(verifier, str) or not isinstance(expires, int | float):
        raise StateError("internal_server_error")

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    link = data.get("link")
    parsed_link: dict[str, str] | None = None
    if isinstance(link, dict):
        if not isinstance(link.get("email"), str) or link.get("userId") is None:
            raise StateError("internal_server_error")
        parsed_link = {k: str(v) for k, v in link.items() if k in ("userId", "email", "encryptedSessionToken")}
    return FlowState(
        callback_url=callback,
        code_verifier=verifier,
        error_url=text("errorURL"),
        new_user_url=text("newUserURL"),
        link=parsed_link,
        request_sign_up=data.get("requestSignUp") is True,
        id_token_nonce=text("idTokenNonce"),
        data=data,
    )


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


async def parse_state(ctx: AnyContext, state: str | None) -> FlowState:
    """The flow a callback belongs to, taken (it works once).

    Raises:
        StateError: ``state_not_found``, ``state_mismatch`` (unknown, forged, another browser's,
            already used, expired) or ``state_invalid`` (an undecryptable state cookie).
    """
    if not state:
        raise StateError("state_not_found")
    auth = ctx.auth
    cookies = auth.cookies
    if auth.settings.account.store_state_strategy == "cookie":
        name = cookies.name("oauth_state")
        sealed = ctx.cookies.get(name)
        if not sealed:
            raise StateError("state_mismatch")
        try:
            flow = _flow(json.loads(purpose_decrypt(auth.secret_config, "oauth-state-cookie", sealed)))
        except (DecryptionError, ValueError, StateError):
            raise StateError("state_invalid") from None
        if not _same(flow.data.get("oauthState"), state):
            raise StateError("state_mismatch", flow.error_url)
        ctx.set_cookie(cookies.expire(name))
    else:
        identifier = state_identifier(state)
        row = await ctx.store.find_verification(identifier)
        if row is None:
            raise StateError("state_mismatch")
        try:
            flow = _flow(json.loads(row["value"]))
        except ValueError:
            raise StateError("internal_server_error") from None
        stored_state = flow.data.get("oauthState")
        if stored_state is not None and not _same(stored_state if isinstance(stored_state, str) else None, state):
            raise StateError("state_mismatch", flow.error_url)
        if not auth.settings.account.skip_state_cookie_check and not _same(
            ctx.signed_cookie(cookies.name("state")), state
        ):
            raise StateError("state_mismatch", flow.error_url)
        ctx.set_cookie(cookies.expire(cookies.name("state")))
        if await ctx.store.consume_verification(identifier) is None:
            raise StateError("state_mismatch", flow.error_url)  # used by a concurrent callback, or expired
    if flow.data["expiresAt"] < time.time() * 1000:
        raise StateError("state_mismatch", flow.error_url)
    return flow

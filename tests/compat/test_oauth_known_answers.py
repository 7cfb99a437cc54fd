"""Known answers for the OAuth formats: purpose keys, sealed state and tokens, PKCE, authorization URLs, scopes.

The vectors (``tests/compat/oauth_vectors.json``) come from ``tests/compat/gen_oauth_vectors.mjs`` running the real
npm functions of Better Auth 1.7.24 (see ``tests/compat/README.md``). The ``interop`` tests regenerate them with node
to prove the committed file has not drifted, and have npm decrypt what Python encrypts.

Inputs where the Python side is known to answer differently are marked ``xfail(strict=True)`` with the difference:
they fail loudly once the library is fixed, so the mark can go.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import fastapi_betterauth
from fastapi_betterauth.crypto.purpose import Purpose, derive_purpose_key, purpose_decrypt, purpose_encrypt
from fastapi_betterauth.crypto.signing import sign_cookie_value, sign_value, unsign_cookie_value
from fastapi_betterauth.crypto.symmetric import DecryptionError, raw_encrypt, symmetric_decrypt, symmetric_encrypt
from fastapi_betterauth.protocol.cookies import CookieConfig
from fastapi_betterauth.protocol.endpoint import SetCookie
from fastapi_betterauth.social.authorize import RESERVED_PARAMS, authorization_url, code_challenge
from fastapi_betterauth.social.linking import merge_scopes
from fastapi_betterauth.social.oauth_client import apply_discovery, tokens_from
from fastapi_betterauth.social.provider import OAuthProvider
from fastapi_betterauth.social.state import OAUTH_STATE_COOKIE_MAX_AGE, STATE_COOKIE_MAX_AGE
from tests._services import INTEROP_DIR, install_node_modules, require_node

HERE = Path(__file__).resolve().parent
GENERATOR = HERE / "gen_oauth_vectors.mjs"
VECTORS: dict[str, Any] = json.loads((HERE / "oauth_vectors.json").read_text(encoding="utf-8"))
PURPOSES: tuple[Purpose, Purpose] = ("oauth-link-session-token", "oauth-state-cookie")

SCOPE_MISMATCHES: dict[str, str] = {}
MERGE_MISMATCHES: dict[str, str] = {}
NONCE_MISMATCHES: dict[str, str] = {}
"""Inputs where Python is known to answer differently (none now; a strict xfail each when there are)."""


def params(cases: list[dict[str, Any]], key: Any, mismatches: dict[str, str]) -> list[Any]:
    """Cases as pytest params, the known mismatches marked as strict xfails."""
    out = []
    for case in cases:
        reason = mismatches.get(key(case))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(case, marks=marks, id=key(case)[:50]))
    return out


def test_vectors_come_from_the_pinned_release() -> None:
    assert VECTORS["npm_versions"]["better-auth"] == "1.7.24"
    assert VECTORS["npm_versions"]["@better-auth/core"] == "1.7.24"
    assert len(VECTORS["authorization_urls"]) >= 10


# -- 1, 2: purpose-derived keys and purpose-bound ciphertexts ------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["purpose_keys"], ids=lambda c: f"{c['purpose']}:{c['secret'][:12]}")
def test_purpose_key_matches_npm(case: dict[str, Any]) -> None:
    assert derive_purpose_key(case["secret"], case["purpose"]) == case["key"]


def test_the_two_purposes_get_different_keys() -> None:
    by_secret: dict[str, set[str]] = {}
    for case in VECTORS["purpose_keys"]:
        by_secret.setdefault(case["secret"], set()).add(case["key"])
    assert all(len(keys) == len(PURPOSES) for keys in by_secret.values())


@pytest.mark.parametrize("case", VECTORS["purpose_encryption"], ids=lambda c: f"{c['purpose']}:{c['secret'][:12]}")
def test_npm_purpose_ciphertext_decrypts_here(case: dict[str, Any]) -> None:
    secret, purpose, ciphertext = case["secret"], case["purpose"], case["ciphertext"]
    assert purpose_decrypt((secret,), purpose, ciphertext) == case["plaintext"]
    assert purpose_decrypt(("previous-secret-0123456789abcdef0123", secret), purpose, ciphertext) == case["plaintext"]
    # Same nonce in, byte-identical ciphertext out.
    nonce = bytes.fromhex(ciphertext[:48])
    assert raw_encrypt(derive_purpose_key(secret, purpose), case["plaintext"], nonce=nonce) == ciphertext
    # Bound to its purpose: neither the other purpose's key nor the bare secret opens it (nor does npm's).
    assert case["wrong_purpose_fails"] and case["raw_secret_fails"]
    other = next(p for p in PURPOSES if p != purpose)
    with pytest.raises(DecryptionError):
        purpose_decrypt((secret,), other, ciphertext)
    with pytest.raises(DecryptionError):
        symmetric_decrypt(ciphertext, (secret,))


# -- 3: account tokens (account.encryptOAuthTokens) ----------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["oauth_token_encryption"], ids=lambda c: c["token"][:16])
def test_npm_encrypted_oauth_token_decrypts_here(case: dict[str, Any]) -> None:
    ciphertext = case["ciphertext"]
    assert symmetric_decrypt(ciphertext, (case["secret"],)) == case["token"]
    assert raw_encrypt(case["secret"], case["token"], nonce=bytes.fromhex(ciphertext[:48])) == ciphertext
    assert case["wrong_secret_fails"]
    with pytest.raises(DecryptionError):
        symmetric_decrypt(ciphertext, (case["secret"] + "x",))


# -- 4: PKCE -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["pkce"], ids=lambda c: c["verifier"][:20])
def test_code_challenge_matches_npm(case: dict[str, Any]) -> None:
    assert code_challenge(case["verifier"]) == case["challenge"]


def test_pkce_vectors_include_full_length_verifiers() -> None:
    alphabet = set("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_")
    full = [c["verifier"] for c in VECTORS["pkce"] if len(c["verifier"]) == 128 and set(c["verifier"]) <= alphabet]
    assert len(full) >= 4


# -- 5: authorization URLs -----------------------------------------------------------------------------------------

_GOOGLE_OPTIONS = {
    "prompt": "prompt",
    "accessType": "access_type",
    "hd": "hd",
    "display": "display",
    "includeGrantedScopes": "include_granted_scopes",
    "scope": "scope",
    "disableDefaultScope": "disable_default_scope",
    "redirectURI": "redirect_uri",
    "authorizationEndpoint": "authorization_endpoint",
}
_GITHUB_OPTIONS = {
    "prompt": "prompt",
    "scope": "scope",
    "disableDefaultScope": "disable_default_scope",
    "redirectURI": "redirect_uri",
    "authorizationEndpoint": "authorization_endpoint",
}
_GENERIC_OPTIONS = {
    "discoveryUrl": "discovery_url",
    "authorizationUrl": "authorization_url",
    "tokenUrl": "token_url",
    "userInfoUrl": "user_info_url",
    "scopes": "scopes",
    "pkce": "pkce",
    "prompt": "prompt",
    "accessType": "access_type",
    "responseMode": "response_mode",
    "authorizationUrlParams": "authorization_url_params",
    "redirectURI": "redirect_uri",
}


def _kwargs(options: dict[str, Any], names: dict[str, str], skip: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(options) - set(names) - set(skip)
    assert not unknown, f"no Python equivalent mapped for {unknown}"
    return {names[k]: v for k, v in options.items() if k in names}


def python_provider(case: dict[str, Any], *, via_discovery: bool = True) -> OAuthProvider:
    """The Python provider configured as the npm one was."""
    options = case["options"]
    credentials = (options["clientId"], options["clientSecret"])
    if case["provider"] == "google":
        return fastapi_betterauth.google(
            *credentials, **_kwargs(options, _GOOGLE_OPTIONS, ("clientId", "clientSecret"))
        )
    if case["provider"] == "github":
        return fastapi_betterauth.github(
            *credentials, **_kwargs(options, _GITHUB_OPTIONS, ("clientId", "clientSecret"))
        )
    kwargs = _kwargs(options, _GENERIC_OPTIONS, ("clientId", "clientSecret", "providerId"))
    document = case["discovery"]
    if document is None:
        return fastapi_betterauth.oidc(
            options["providerId"], client_id=credentials[0], client_secret=credentials[1], **kwargs
        )
    if via_discovery:
        provider = fastapi_betterauth.oidc(
            options["providerId"], client_id=credentials[0], client_secret=credentials[1], **kwargs
        )
        return apply_discovery(provider, document)
    # The brief's simulation of discovery: the discovered endpoints given explicitly, `openid` prepended by hand.
    del kwargs["discovery_url"]
    provider = fastapi_betterauth.oidc(
        options["providerId"],
        client_id=credentials[0],
        client_secret=credentials[1],
        authorization_url=document["authorization_endpoint"],
        token_url=document["token_endpoint"],
        **kwargs,
    )
    return dataclasses.replace(provider, prepend_openid=bool(document.get("id_token_signing_alg_values_supported")))


def python_url(provider: OAuthProvider, request: dict[str, Any]) -> str:
    return authorization_url(
        provider,
        state=request["state"],
        code_verifier=request["codeVerifier"],
        redirect_uri=request["redirectURI"],
        scopes=request.get("scopes", ()),
        login_hint=request.get("loginHint"),
        nonce=request.get("idTokenNonce"),
        additional_params=request.get("additionalParams"),
    )


URL_CASES = VECTORS["authorization_urls"]


@pytest.mark.parametrize("case", URL_CASES, ids=[c["name"][:60] for c in URL_CASES])
def test_authorization_url_matches_npm(case: dict[str, Any]) -> None:
    assert python_url(python_provider(case), case["request"]) == case["url"]


@pytest.mark.parametrize("case", [c for c in URL_CASES if c.get("discovery")], ids=lambda c: c["options"]["providerId"])
def test_authorization_url_with_endpoints_given_and_openid_prepended(case: dict[str, Any]) -> None:
    assert python_url(python_provider(case, via_discovery=False), case["request"]) == case["url"]


@pytest.mark.parametrize(
    "case",
    params(
        [c for c in URL_CASES if c["provider"] == "generic"], lambda c: c["options"]["providerId"], NONCE_MISMATCHES
    ),
)
def test_generic_provider_binds_a_nonce_when_npm_does(case: dict[str, Any]) -> None:
    """Sign-in adds ``nonce`` to the authorization URL exactly when npm's provider has ``requiresIdTokenNonce``."""
    assert python_provider(case).requires_nonce is case["requires_id_token_nonce"]


def test_the_vectors_try_to_override_reserved_parameters_and_npm_ignores_them() -> None:
    tried = set()
    for case in URL_CASES:
        query = parse_qs(urlsplit(case["url"]).query, keep_blank_values=True)
        for key, value in (case["request"].get("additionalParams") or {}).items():
            if key in RESERVED_PARAMS:
                tried.add(key)
                assert value not in query.get(key, []), (case["name"], key)
    assert tried >= {"state", "redirect_uri", "nonce", "scope", "client_id", "code_challenge", "response_type"}


# -- 6: scopes of a token response, merged scopes --------------------------------------------------------------------


@pytest.mark.parametrize("case", params(VECTORS["token_scopes"], lambda c: repr(c["data"]), SCOPE_MISMATCHES))
def test_token_response_scopes_match_npm(case: dict[str, Any]) -> None:
    assert case["scopes"] == case["parse_scope_field"]
    assert list(tokens_from(case["data"]).scopes) == case["scopes"]


@pytest.mark.parametrize(
    "case", params(VECTORS["merge_scopes"], lambda c: repr((c["stored"], c["incoming"])), MERGE_MISMATCHES)
)
def test_merge_scopes_matches_npm(case: dict[str, Any]) -> None:
    assert merge_scopes(case["stored"], tuple(case["incoming"] or ())) == case["merged"]


# -- 7: the state cookies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["state_cookies"], ids=lambda c: f"{c['base']}:{c['state'][:12]}")
def test_signed_state_cookie_matches_npm(case: dict[str, Any]) -> None:
    assert sign_value(case["state"], case["secret"]) == case["signed_value"]
    assert sign_cookie_value(case["state"], case["secret"]) == case["cookie_value"]
    assert unsign_cookie_value(case["cookie_value"], [case["secret"]]) == case["state"]
    # The header social/state.py sets: the signed cookie with the state cookie's Max-Age.
    cookies = CookieConfig(secure=case["base"] == "https")
    assert cookies.name("state") == case["cookie_name"]
    assert STATE_COOKIE_MAX_AGE == case["attributes"]["maxAge"]
    signed = cookies.signed(cookies.name("state"), case["state"], case["secret"])
    header = SetCookie(signed.name, signed.value, STATE_COOKIE_MAX_AGE, secure=cookies.secure).render()
    assert header == case["set_cookie"]


@pytest.mark.parametrize("case", VECTORS["oauth_state_cookies"], ids=lambda c: c["base"])
def test_oauth_state_cookie_matches_npm(case: dict[str, Any]) -> None:
    cookies = CookieConfig(secure=case["base"] == "https")
    assert OAUTH_STATE_COOKIE_MAX_AGE == case["attributes"]["maxAge"]
    header = SetCookie(cookies.name("oauth_state"), case["value"], OAUTH_STATE_COOKIE_MAX_AGE, secure=cookies.secure)
    assert header.render() == case["set_cookie"]


# -- with node: the file has not drifted, and npm opens what Python seals -----------------------------------------


def _node() -> str:
    node = require_node()
    install_node_modules(["better-auth", "@better-auth/core", "better-call"])
    return node


def _without_ciphertexts(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ciphertexts(v) for k, v in value.items() if k != "ciphertext"}
    if isinstance(value, list):
        return [_without_ciphertexts(v) for v in value]
    return value


@pytest.mark.interop
def test_the_vectors_match_the_pinned_better_auth() -> None:
    """Regenerate with node: everything but the (randomly nonced) ciphertexts must be what is committed."""
    out = subprocess.run(
        [_node(), str(GENERATOR), "--stdout"],
        cwd=INTEROP_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert _without_ciphertexts(json.loads(out.stdout)) == _without_ciphertexts(VECTORS)


@pytest.mark.interop
def test_npm_decrypts_what_python_encrypts(tmp_path: Path) -> None:
    cases: list[dict[str, Any]] = []
    expected: list[dict[str, Any]] = []
    for case in VECTORS["purpose_encryption"]:
        ciphertext = purpose_encrypt(case["secret"], case["purpose"], case["plaintext"])
        cases.append(
            {"kind": "purpose", "secret": case["secret"], "purpose": case["purpose"], "ciphertext": ciphertext}
        )
        expected.append({"plaintext": case["plaintext"], "wrong_purpose_fails": True, "raw_secret_fails": True})
    for case in VECTORS["oauth_token_encryption"]:
        ciphertext = symmetric_encrypt(case["secret"], case["token"])  # what linking.seal_token stores
        cases.append({"kind": "oauth_token", "secret": case["secret"], "ciphertext": ciphertext})
        expected.append({"plaintext": case["token"], "wrong_secret_fails": True})
    path = tmp_path / "python_ciphertexts.json"
    path.write_text(json.dumps(cases), encoding="utf-8")
    out = subprocess.run(
        [_node(), str(GENERATOR), "--decrypt", str(path)],
        cwd=INTEROP_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(out.stdout) == expected

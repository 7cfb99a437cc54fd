"""The generic-OAuth plugin: any OpenID Connect or OAuth 2.0 provider (Better Auth's ``genericOAuth``).

In 1.7.24 each configured provider becomes a social provider: the client signs in with
``signIn.social({provider: "<provider_id>"})`` and the provider returns to ``/callback/<provider_id>``.
A generic provider with the id of a built-in one replaces it, as in Better Auth.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ConfigurationError
from ..protocol.context import AuthContext
from ..protocol.plugin import Plugin
from ..social.provider import OAuthProvider
from ..social.registry import SocialProviders


def generic_oauth(config: Sequence[OAuthProvider]) -> Plugin:
    """``genericOAuth({config: [...]})``: pass providers made with :func:`~fastapi_betterauth.oidc`."""
    providers = tuple(config)
    ids = [p.id for p in providers]
    if len(set(ids)) != len(ids):
        raise ConfigurationError(f"generic_oauth: a provider id is repeated: {ids}")

    def init(context: AuthContext) -> None:
        if context.social is None:
            context.social = SocialProviders(timeout=context.settings.account.provider_timeout)
        context.social.add(providers, shadow=True)

    return Plugin(id="generic-oauth", init=init)

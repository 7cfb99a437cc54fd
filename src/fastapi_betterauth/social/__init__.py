"""Social sign-in: providers as data, the OAuth flow, account linking, and the provider-token routes."""

from __future__ import annotations

from ..protocol.endpoint import AnyEndpoint
from .provider import IdTokenPolicy, OAuthProvider, ProfileMapping
from .provider_tokens import account_info, get_access_token, refresh_token
from .providers import github, google, oidc
from .registry import SocialProviders
from .routes import callback_oauth, callback_oauth_post, link_social, sign_in_social

SOCIAL_ENDPOINTS: tuple[AnyEndpoint, ...] = (
    sign_in_social,
    callback_oauth,
    callback_oauth_post,
    link_social,
    get_access_token,
    refresh_token,
    account_info,
)
"""Better Auth's social routes: always served (an unconfigured provider answers ``PROVIDER_NOT_FOUND``)."""

__all__ = [
    "SOCIAL_ENDPOINTS",
    "IdTokenPolicy",
    "OAuthProvider",
    "ProfileMapping",
    "SocialProviders",
    "github",
    "google",
    "oidc",
]

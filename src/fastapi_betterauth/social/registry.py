"""The social providers one server offers, by id, with the client that talks to them."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ConfigurationError
from .oauth_client import ProviderClient
from .provider import OAuthProvider


class SocialProviders:
    """Configured providers (``social_providers=`` and the generic-OAuth plugin's), and their HTTP client."""

    def __init__(self, providers: Iterable[OAuthProvider] = (), *, timeout: float = 10.0) -> None:
        self._providers: dict[str, OAuthProvider] = {}
        self.client = ProviderClient(timeout=timeout)
        self.add(providers)

    def add(self, providers: Iterable[OAuthProvider], *, shadow: bool = False) -> None:
        """Register providers; a repeated id is a configuration error.

        ``shadow`` lets them replace one of the same id (generic ones win, as in Better Auth).
        """
        for provider in providers:
            if provider.id in self._providers and not shadow:
                raise ConfigurationError(f"social provider {provider.id!r} is configured twice")
            self._providers[provider.id] = provider

    def __bool__(self) -> bool:
        return bool(self._providers)

    def ids(self) -> list[str]:
        """The configured provider ids."""
        return list(self._providers)

    def configured(self, provider_id: str) -> OAuthProvider | None:
        """The provider as configured (its discovery document not yet applied)."""
        return self._providers.get(provider_id)

    async def get(self, provider_id: str) -> OAuthProvider | None:
        """The usable provider, discovery applied; ``None`` for an id this server does not offer.

        Raises:
            ProviderError: the provider's discovery document cannot be read right now.
        """
        provider = self._providers.get(provider_id)
        if provider is None:
            return None
        return await self.client.resolve(provider)

    async def aclose(self) -> None:
        """Close the connection pools."""
        await self.client.aclose()

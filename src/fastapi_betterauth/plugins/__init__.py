"""Plugins: factories returning a frozen :class:`~fastapi_betterauth.Plugin` (Better Auth's plugin shape)."""

from .bearer import bearer
from .jwt import jwt

__all__ = ["bearer", "jwt"]

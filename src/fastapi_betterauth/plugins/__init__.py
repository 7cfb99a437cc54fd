"""Plugins: factories returning a frozen :class:`~fastapi_betterauth.Plugin` (Better Auth's plugin shape)."""

from .admin import admin
from .bearer import bearer
from .generic_oauth import generic_oauth
from .jwt import jwt

__all__ = ["admin", "bearer", "generic_oauth", "jwt"]

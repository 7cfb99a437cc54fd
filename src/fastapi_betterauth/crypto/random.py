"""Random ids and tokens in Better Auth's formats.

Mirrors ``generateId`` / ``generateRandomString`` of ``@better-auth/utils``: characters drawn
uniformly from the alphabet with a CSPRNG.
"""

from __future__ import annotations

import secrets
import string

ALPHANUMERIC = string.ascii_letters + string.digits
LOWER_ALPHANUMERIC = string.digits + string.ascii_lowercase


def generate_id(length: int = 32, alphabet: str = ALPHANUMERIC) -> str:
    """A random string of ``length`` characters (Better Auth ``generateId``: 32 of ``[A-Za-z0-9]``)."""
    choice = secrets.choice
    return "".join(choice(alphabet) for _ in range(length))


def generate_token(length: int = 32) -> str:
    """A session token: same alphabet and length as a row id, as Better Auth makes it."""
    return generate_id(length)

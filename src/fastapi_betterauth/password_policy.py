"""Opt-in password rules on top of Better Auth's length limits.

A policy is any callable that takes the new password and returns the requirements it does not
meet, as short phrases ("an uppercase letter"); an empty result accepts it. It runs wherever a
password is chosen (sign-up, change-password, reset-password, set-password), after the length
checks, and a failure answers 400 ``PASSWORD_TOO_WEAK`` with a message listing what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

PasswordPolicy = Callable[[str], Sequence[str]]


def password_complexity(
    *,
    min_length: int = 8,
    uppercase: bool = True,
    lowercase: bool = True,
    digit: bool = True,
    symbol: bool = False,
) -> PasswordPolicy:
    """The usual complexity rule; by default 8+ characters, mixed case and a digit."""

    def check(password: str) -> list[str]:
        missing: list[str] = []
        if len(password) < min_length:
            missing.append(f"at least {min_length} characters")
        if uppercase and not any(c.isupper() for c in password):
            missing.append("an uppercase letter")
        if lowercase and not any(c.islower() for c in password):
            missing.append("a lowercase letter")
        if digit and not any(c.isdigit() for c in password):
            missing.append("a digit")
        if symbol and all(c.isalnum() or c.isspace() for c in password):
            missing.append("a symbol")
        return missing

    return check


def weak_password_message(missing: Sequence[str]) -> str:
    """``Password is too weak: it needs an uppercase letter, a digit``."""
    return "Password is too weak: it needs " + ", ".join(missing)

from __future__ import annotations

import fastapi_betterauth


def test_all_is_sorted_and_importable() -> None:
    names = fastapi_betterauth.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(fastapi_betterauth, name) is not None


def test_documented_quick_start_names_are_public() -> None:
    for name in ("BetterAuth", "AuthSettings", "CurrentUser", "CurrentSession", "User", "current_user"):
        assert name in fastapi_betterauth.__all__

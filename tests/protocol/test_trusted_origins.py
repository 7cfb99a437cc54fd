"""The URL trust check against the real Better Auth: the attack table, its drift check, and properties.

``tests/compat/url_vectors.json`` holds each input with Better Auth 1.7.24's own decision (its
``isTrustedOrigin``: Node's ``new URL`` + ``matchesOriginPattern``) and Node's serialisation, written by
``tests/compat/gen_url_vectors.mjs``. The library must make the same decision, except on the inputs marked
``stricter`` (refused here, accepted there, for the reason given), and must emit what Node serialises.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ada_url import URL
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fastapi_betterauth.errors import ConfigurationError
from fastapi_betterauth.protocol.trusted_origins import TrustedOrigins, UntrustedURLError, trust_url
from tests._services import require_node, unavailable

ROOT = Path(__file__).resolve().parents[2]
VECTORS_PATH = ROOT / "tests" / "compat" / "url_vectors.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = VECTORS["cases"]
TRUSTED = TrustedOrigins.compile([VECTORS["base_url"], *VECTORS["trusted_origins"]])
RELATIVE_BASE = VECTORS["relative_base"]


def decide(value: str, *, allow_relative: bool) -> tuple[bool, str | None, str | None]:
    """(trusted, emitted URL, refusal reason)."""
    try:
        return True, trust_url(value, TRUSTED, allow_relative=allow_relative), None
    except UntrustedURLError as error:
        return False, None, error.reason


def test_the_table_is_big_enough_and_covers_every_family() -> None:
    assert len(CASES) >= 40
    inputs = [c["input"] for c in CASES]
    for needle in ("\\", "%2F", "%252F", "@", "xn--", ":0443", "[::1]", "\t", "\n", "javascript:", "data:", "//"):
        assert any(needle in i for i in inputs), needle
    assert any(c["input"].endswith("./") for c in CASES)
    assert sum(1 for c in CASES if c["callback"]) >= 20, "accepted inputs must be tested too"


@pytest.mark.parametrize("case", CASES, ids=[repr(c["input"])[:60] for c in CASES])
@pytest.mark.parametrize("mode", ["callback", "origin"])
def test_same_decision_as_better_auth(case: dict[str, Any], mode: str) -> None:
    better_auth_trusts = case[mode]
    trusted, emitted, reason = decide(case["input"], allow_relative=mode == "callback")
    if case["stricter"] and better_auth_trusts:
        assert not trusted, f"{case['input']!r} should be refused ({case['stricter']})"
        assert reason == case["stricter"]
        return
    assert trusted == better_auth_trusts, (case["input"], reason)
    if not trusted:
        return
    assert emitted is not None
    if case["input"].startswith("/"):
        assert RELATIVE_BASE + emitted == case["node_relative"]
    else:
        # What is emitted is what Node serialises (a bare origin may keep its spelling without the "/").
        assert emitted in (case["node_href"], case["node_href"].removesuffix("/"))
        assert URL(emitted).href == case["node_href"]


def test_every_stricter_case_is_still_accepted_by_better_auth() -> None:
    """A divergence that Better Auth fixed upstream should lose its ``stricter`` mark."""
    stricter = [c for c in CASES if c["stricter"]]
    assert stricter
    for case in stricter:
        assert case["callback"] or case["origin"], case["input"]


@pytest.mark.interop
def test_the_table_matches_the_pinned_better_auth() -> None:
    """Regenerate the expected answers with node: the committed table cannot drift from Better Auth."""
    node = require_node()
    if not (ROOT / "tests" / "interop" / "node_modules" / "better-auth").exists():
        unavailable("the pinned better-auth is not installed: npm ci --prefix tests/interop")
    out = subprocess.run(
        [node, str(ROOT / "tests" / "compat" / "gen_url_vectors.mjs"), "--stdout"],
        cwd=ROOT / "tests" / "interop",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(out.stdout) == VECTORS


# -- properties ------------------------------------------------------------------------------------

URL_PARTS = st.sampled_from(
    [
        "https://",
        "http://",
        "//",
        "/",
        "\\",
        "@",
        ":",
        ".",
        "%2f",
        "%5c",
        "%40",
        "%2e",
        "?",
        "#",
        "\t",
        "\n",
        "\r",
        "\x00",
        " ",
        "app.example.com",
        "evil.com",
        "example.org",
        "sub.",
        "localhost:3000",
        "[::1]",
        "192.168.1.5:8080",
        "xn--pp-6kc",
        "\u0430",
        "\u3002",
        "javascript:",
        "myapp://",
        "https:",
        "..",
        "443",
    ]
)
URLISH = st.lists(URL_PARTS, max_size=8).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=80), URLISH)


def _in_trusted_set(href: str) -> bool:
    """The WHATWG host of ``href`` is one the configuration names: an exact origin or a pattern match."""
    parsed = URL(href)
    return TRUSTED.has_origin(str(parsed.origin), str(parsed.host))


@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow])
@given(value=ANY_TEXT, allow_relative=st.booleans())
@example(value="https://evil.com\\@app.example.com/", allow_relative=True)
@example(value="/.//evil.com", allow_relative=True)
def test_never_raises_anything_but_the_documented_error(value: str, allow_relative: bool) -> None:
    try:
        emitted = trust_url(value, TRUSTED, allow_relative=allow_relative)
    except UntrustedURLError:
        return
    assert isinstance(emitted, str)


@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow])
@given(value=ANY_TEXT)
@example(value="https://app\u3002example\u3002com/x")
@example(value="/.//evil.com")
@example(value="/..//evil.com")
def test_an_accepted_url_is_on_a_trusted_host_and_is_what_is_emitted(value: str) -> None:
    try:
        emitted = trust_url(value, TRUSTED, allow_relative=True)
    except UntrustedURLError:
        return
    assert "\\" not in emitted and not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in emitted)
    if emitted.startswith("/"):
        # A relative target stays on whatever site resolves it.
        assert not emitted.startswith("//")
        for base in ("https://app.example.com/a/b", "http://localhost:3000/"):
            assert URL(emitted, base).origin == URL(base).origin
    elif emitted.startswith(("http://", "https://")):
        parsed = URL(emitted)
        assert not parsed.username and not parsed.password
        assert _in_trusted_set(emitted)
        assert parsed.href in (emitted, emitted + "/")  # emitted is already the serialisation
    else:
        assert emitted.startswith("myapp:")
    # Judging the emitted string again gives the same string: nothing is left to reinterpret.
    assert trust_url(emitted, TRUSTED, allow_relative=True) == emitted


@given(
    prefix=st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]{1,8}){0,2}", fullmatch=True),
    suffix=st.sampled_from(["example.org", "example.com", "evil.com", "example.org.evil.com", "notexample.org"]),
    scheme=st.sampled_from(["https", "http"]),
)
def test_wildcards_match_only_their_suffix(prefix: str, suffix: str, scheme: str) -> None:
    """``https://*.example.org`` admits its subdomains over https, and nothing else; plus the exact origin."""
    host = f"{prefix}.{suffix}"
    trusted, _, _ = decide(f"{scheme}://{host}/", allow_relative=False)
    expected = scheme == "https" and (suffix == "example.org" or host == "app.example.com")
    assert trusted == expected


@pytest.mark.parametrize(
    "entry",
    ["javascript:", "data:text/html,x", "/dashboard", "https://user@app.example.com", "https://a.com\\b", "not a url"],
)
def test_unsafe_trusted_origin_entries_fail_at_startup(entry: str) -> None:
    with pytest.raises(ConfigurationError):
        TrustedOrigins.compile([entry])


def test_trusted_origin_entries_are_normalised() -> None:
    trusted = TrustedOrigins.compile(["HTTPS://App.Example.com:443/", "https://b\u00fccher.example"])
    assert trusted.exact == {"https://app.example.com", "https://xn--bcher-kva.example"}
    assert (
        trust_url("https://b\u00fccher.example/x", trusted, allow_relative=False) == "https://xn--bcher-kva.example/x"
    )


def test_syntax_only_mode_still_refuses_unsafe_urls() -> None:
    """With origin checks disabled any host is allowed, but never a backslash, user-info or script."""
    assert trust_url("https://anywhere.example/x", None, allow_relative=True) == "https://anywhere.example/x"
    for value in ("https://evil.com\\@app.example.com/", "https://a@b.com/", "javascript:alert(1)", "/\\x", "//x"):
        with pytest.raises(UntrustedURLError):
            trust_url(value, None, allow_relative=True)

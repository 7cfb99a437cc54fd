"""UTF-8 bytes of JSON text as ``JSON.stringify`` writes them, lone surrogates included."""

from __future__ import annotations

import re

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def utf8(text: str) -> bytes:
    r"""``text`` (JSON from an ``ensure_ascii=False`` encoder) as bytes, an unpaired surrogate as ``\uXXXX``.

    Python strings may hold a lone surrogate (from ``"\ud800"`` in a parsed body or a hook's data) that UTF-8
    cannot encode; ES2019 ``JSON.stringify`` writes it as a lowercase escape, so the answer is still valid
    JSON and the same bytes a TypeScript server sends. The common case costs one ``encode``.
    """
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode()

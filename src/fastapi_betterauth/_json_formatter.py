"""The JSON formatter behind ``configure_json_logging``: python-json-logger, with secrets kept out.

Imported only when JSON logs are asked for, so the ``json-logs`` extra stays optional.
"""

from __future__ import annotations

import functools
import re
from types import TracebackType
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from .redaction import redacted_traceback

REDACTED = "[redacted]"
_SENSITIVE_KEY = re.compile(r"passw|secret|token|cookie|authori[sz]ation|api[_-]?key|credential|query", re.IGNORECASE)
"""Field names whose values never reach the output, at any depth (``password``, ``set-cookie``, ``query_string``…)."""

_CONTAINERS = (dict, list, tuple)
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


@functools.lru_cache(maxsize=1024)
def _sensitive(key: str) -> bool:
    return _SENSITIVE_KEY.search(key) is not None


def redact(value: Any) -> Any:
    """``value`` with every item under a sensitive key replaced by ``[redacted]`` (dicts and lists, recursively)."""
    if isinstance(value, dict):
        return {
            k: REDACTED if _sensitive(str(k)) else redact(v) if isinstance(v, _CONTAINERS) else v
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object per line; sensitive fields redacted, exception messages withheld.

    An exception's message can quote SQL parameters or request data (emails, tokens, password hashes):
    tracebacks keep their types and frames only, as :func:`~fastapi_betterauth.redacted_traceback` does.
    """

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        """Redact by field name before serialising."""
        redacted: dict[str, Any] = redact(log_data)
        return redacted

    def formatException(self, ei: ExcInfo) -> str:
        """The traceback without any exception message."""
        error = ei[1]
        return redacted_traceback(error) if error is not None else ""

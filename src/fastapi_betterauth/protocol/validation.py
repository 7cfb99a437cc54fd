"""Request body parsing and validation with Better Auth's status codes and messages.

Mirrors better-call's router and validator (``better-call/dist/router.mjs``, ``validator.mjs``):
415 for unsupported media types, 400 ``BAD_REQUEST`` for malformed JSON, and 400
``VALIDATION_ERROR`` with ``[body.field] message`` texts in zod's wording for the common cases.
"""

from __future__ import annotations

import json
import re
import weakref
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qs

from pydantic import AfterValidator, BaseModel, ValidationError, WithJsonSchema

from ..errors import AuthError, ErrorCode
from .endpoint import BodyMedia

M = TypeVar("M", bound=BaseModel)

# zod v4's email pattern, which Better Auth uses for INVALID_EMAIL.
_EMAIL_RE = re.compile(
    r"^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$"
)
MAX_EMAIL_LENGTH = 254
"""RFC 5321's limit; longer values would also overflow PostgreSQL's unique index on ``email``."""

_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"


def is_valid_email(email: str) -> bool:
    """Whether ``email`` passes zod's ``z.email()`` (and fits in an index)."""
    # fullmatch: "$" alone would also accept a trailing newline.
    return len(email) <= MAX_EMAIL_LENGTH and _EMAIL_RE.fullmatch(email) is not None


def _zod_email(value: str) -> str:
    if not is_valid_email(value.lower()):
        raise ValueError("Invalid email address")
    return value


EMAIL_SCHEMA = {"type": "string", "maxLength": MAX_EMAIL_LENGTH, "pattern": _EMAIL_RE.pattern}
"""What OpenAPI says of an email field: zod's own pattern (ECMA-262 compatible) and the length limit."""

ZodEmail = Annotated[str, AfterValidator(_zod_email), WithJsonSchema(EMAIL_SCHEMA)]
"""A body field checked like zod's ``z.email()`` (a VALIDATION_ERROR "Invalid email address"); case is kept."""

EmailText = Annotated[str, WithJsonSchema(EMAIL_SCHEMA)]
"""An email field the handler checks itself (answering Better Auth's ``INVALID_EMAIL`` code)."""


JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
"""JavaScript's ``\\s`` (and what ``String.prototype.trim`` removes): not Python's ``str.split()`` set."""
_JS_SPACE_RUN = re.compile(f"[{JS_WHITESPACE}]+")


def js_trim(text: str) -> str:
    """``String.prototype.trim``."""
    return re.sub(f"^[{JS_WHITESPACE}]+|[{JS_WHITESPACE}]+$", "", text)


def js_split_whitespace(text: str) -> list[str]:
    r"""``text.trim().split(/\\s+/).filter(Boolean)``."""
    return [part for part in _JS_SPACE_RUN.split(js_trim(text)) if part]


def js_length(text: str) -> int:
    """JavaScript ``String.length``: UTF-16 code units, as Better Auth counts password length."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class _JSONNull:
    """A body that is the JSON literal ``null``: present, unlike an absent body (``None``)."""

    def __repr__(self) -> str:
        return "JSON_NULL"


JSON_NULL: Any = _JSONNull()


def parse_body(content_type: str | None, raw: bytes, media: BodyMedia) -> Any:
    """Decode a request body, or ``None`` when there is none.

    As Better Auth's Node adapter does, a body without a ``Content-Type`` is dropped.

    Raises:
        AuthError: 415 for an unsupported media type, 400 for malformed JSON or form data.
    """
    if not raw or not content_type:
        return None
    mime = content_type.split(";", 1)[0].strip().lower()
    allowed = [_JSON] if media == "json" else [_FORM, _JSON]
    if mime not in allowed:
        shown = content_type.split(";", 1)[0].strip()
        raise AuthError(
            415,
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f'Content-Type "{shown}" is not allowed. Allowed types: {", ".join(allowed)}',
        )
    if mime == _JSON:
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):
            raise AuthError(400, ErrorCode.BAD_REQUEST, "Invalid JSON in request body") from None
        return JSON_NULL if parsed is None else parsed
    try:
        pairs = parse_qs(raw.decode("utf-8", errors="strict"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise AuthError(400, ErrorCode.BAD_REQUEST, "Invalid form body") from None
    return {key: values[0] if len(values) == 1 else values for key, values in pairs.items()}


def js_type(value: Any) -> str:
    """The type name zod reports for a received value."""
    if value is None or value is JSON_NULL:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


_EXPECTED = {
    "string_type": "string",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "int_type": "number",
    "int_parsing": "number",
    "float_type": "number",
    "float_parsing": "number",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
    "list_type": "array",
}


def _expected_for_missing(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    field = model.model_fields.get(str(loc[0])) if len(loc) == 1 else None
    if field is None:
        for candidate in model.model_fields.values():
            if candidate.alias == (loc[0] if loc else None):
                field = candidate
    annotation = getattr(field, "annotation", None)
    return {str: "string", bool: "boolean", int: "number", float: "number"}.get(annotation, "string")  # type: ignore[arg-type]


def _message(model: type[BaseModel], error: Any, where: str) -> str:
    loc = tuple(error["loc"])
    path = ".".join([where, *(str(p) for p in loc)])
    kind = error["type"]
    if kind == "missing":
        text = f"Invalid input: expected {_expected_for_missing(model, loc)}, received undefined"
    elif kind in _EXPECTED:
        text = f"Invalid input: expected {_EXPECTED[kind]}, received {js_type(error.get('input'))}"
    elif kind == "literal_error":
        # zod's enum message: Invalid option: expected one of "asc"|"desc"
        expected = str(error.get("ctx", {}).get("expected", ""))
        options = "|".join(f'"{o}"' for o in re.findall(r"'([^']*)'", expected))
        text = f"Invalid option: expected one of {options}"
    elif kind == "string_too_short":
        text = f"Too small: expected string to have >={error['ctx']['min_length']} characters"
    elif kind == "string_too_long":
        text = f"Too big: expected string to have <={error['ctx']['max_length']} characters"
    elif kind == "value_error":
        # A field validator's own message, e.g. "Invalid email address" (zod's wording).
        text = str(error.get("ctx", {}).get("error", error.get("msg", "Invalid input")))
    else:
        text = str(error.get("msg", "Invalid input"))
    return f"[{path}] {text}"


def validation_error(model: type[BaseModel], exc: ValidationError, where: str) -> AuthError:
    """A pydantic failure as Better Auth's 400 ``VALIDATION_ERROR``."""
    message = "; ".join(_message(model, e, where) for e in exc.errors())
    return AuthError(400, ErrorCode.VALIDATION_ERROR, message)


def _unstorable(text: str) -> str | None:
    if "\x00" in text:
        return "NUL characters are not allowed"
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:  # "\ud800" in JSON: no UTF-8 text (PostgreSQL, SQLite, the answer) holds it
            return "unpaired UTF-16 surrogates are not allowed"
    return None


def _find_unstorable(value: Any, path: str) -> tuple[str, str] | None:
    if isinstance(value, str):
        problem = _unstorable(value)
        return (path, problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _unstorable(key) if isinstance(key, str) else None
            found = (path, problem) if problem else _find_unstorable(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_unstorable(item, f"{path}.{index}")
            if found:
                return found
    return None


def reject_unstorable(value: Any, where: str) -> None:
    """Refuse text no database column stores (at any depth): NUL characters and unpaired surrogates.

    Raises:
        AuthError: 400 ``VALIDATION_ERROR``.
    """
    found = _find_unstorable(value, where)
    if found:
        raise AuthError(400, ErrorCode.VALIDATION_ERROR, f"[{found[0]}] Invalid input: {found[1]}")


def _declared(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``data`` that are the model's own fields (by wire name), text or lists of text.

    Other keys are ignored by every route (or type-checked where they are stored, see ``fields.py``), and
    object-valued fields are used as data, never stored as text.
    """
    if not data:
        return data
    names = _wire_names(model)
    return {k: v for k, v in data.items() if k in names and isinstance(v, str | list)}


_WIRE_NAMES: weakref.WeakKeyDictionary[type[BaseModel], frozenset[str]] = weakref.WeakKeyDictionary()


def _wire_names(model: type[BaseModel]) -> frozenset[str]:
    # Once per model (the models of an instance's additional fields go with the instance).
    names = _WIRE_NAMES.get(model)
    if names is None:
        names = _WIRE_NAMES[model] = frozenset(field.alias or name for name, field in model.model_fields.items())
    return names


def validate(model: type[M], data: Any, where: str) -> M:
    """Validate ``data`` (a parsed body or query dict) against ``model``.

    Raises:
        AuthError: 400 ``VALIDATION_ERROR``.
    """
    expected = getattr(model, "wire_type", "object")
    if data is None:
        if getattr(model, "body_required", False) or any(f.is_required() for f in model.model_fields.values()):
            raise AuthError(
                400,
                ErrorCode.VALIDATION_ERROR,
                f"[{where}] Invalid input: expected {expected}, received undefined",
            )
        data = {}
    if not isinstance(data, dict):
        raise AuthError(
            400,
            ErrorCode.VALIDATION_ERROR,
            f"[{where}] Invalid input: expected {expected}, received {js_type(data)}",
        )
    reject_unstorable(_declared(model, data), where)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(model, exc, where) from None

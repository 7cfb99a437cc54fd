"""What OpenAPI says about each auth route: what the server really enforces, and every answer it gives.

Request schemas come from the endpoint's models plus what validation enforces beyond them: no NUL in
any string, zod's email pattern, the configured password lengths, and the additional user fields of
this instance. Responses list the declared errors plus those every route of its kind can give: 400
for bad input, 413/415 for bodies, 403 from the origin check, 401 without a session, 429 from the rate
limiter. Better Auth's own quirks (an empty-bodied 401 from admin routes, 404 for an unknown method)
are kept and listed in docs/architecture.md.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import ERROR_MESSAGES, ErrorCode
from ..protocol.endpoint import AnyEndpoint, ErrorDoc, Nullable, Redirect
from ..protocol.validation import EMAIL_SCHEMA

if TYPE_CHECKING:
    from ..auth import BetterAuth

NO_NUL = "^[^\x00]*$"
"""JSON Schema pattern of the strings the server accepts: NUL never reaches the database.

A literal NUL in the class (JSON writes it ``\\u0000``), so no regex dialect can read the escape otherwise."""
_FIELD_TYPES = {"string": "string", "boolean": "boolean", "number": "number", "date": "string"}
_CALLBACK_CODES = {
    "callbackURL": ErrorCode.INVALID_CALLBACK_URL,
    "redirectTo": ErrorCode.INVALID_REDIRECT_URL,
    "errorCallbackURL": ErrorCode.INVALID_ERROR_CALLBACK_URL,
    "newUserCallbackURL": ErrorCode.INVALID_NEW_USER_CALLBACK_URL,
}


class ErrorBody(BaseModel):
    """Better Auth's error shape, also what ``install_error_handlers`` gives the app's own routes."""

    message: str
    code: str | None = None


class TooManyRequests(BaseModel):
    """The rate limiter's answer (no ``code``, as Better Auth's)."""

    message: str


def _no_nul(properties: dict[str, Any]) -> None:
    """Add :data:`NO_NUL` to the text properties (and lists of text) the server checks for NUL, in place."""
    for prop in properties.values():
        variants = [prop, *prop.get("anyOf", ())]
        for schema in (*variants, *(v.get("items") for v in variants)):
            if isinstance(schema, dict) and schema.get("type") == "string":
                if not {"pattern", "enum", "const", "format"} & schema.keys():
                    schema["pattern"] = NO_NUL


def _password_lengths(schema: dict[str, Any], model: type[BaseModel], auth: BetterAuth) -> None:
    policy = auth.settings.email_and_password
    rules: dict[str, str] = getattr(model, "password_fields", {})
    for name, kind in rules.items():
        prop = schema.get("properties", {}).get(name)
        if prop is None:
            continue
        prop["maxLength"] = policy.max_password_length
        if kind == "new":
            prop["minLength"] = max(policy.min_password_length, prop.get("minLength", 0))


def _columns(properties: dict[str, Any], auth: BetterAuth, table: str, *, everything: bool = False) -> None:
    """Declare the instance's additional columns of ``table``, typed and NUL-free, in place.

    Those requests may set (sign-up, update-user, update-session), or with ``everything`` every user
    column (the admin routes' ``data``).
    """
    from ..protocol.routes._shared import CORE_USER_FIELDS
    from ..protocol.routes.update_session import CORE_SESSION_FIELDS

    core = CORE_USER_FIELDS if table == "user" else CORE_SESSION_FIELDS
    for spec in auth.context.schema.tables[table].fields:
        if spec.name in properties or spec.name == "id" or not (everything or spec.input):
            continue
        if not everything and spec.name in core:
            continue
        kind = _FIELD_TYPES.get(spec.type)
        prop: dict[str, Any] = {"type": kind} if kind else {}
        if spec.name == "email":
            prop = dict(EMAIL_SCHEMA)
        elif spec.type == "date":
            prop["format"] = "date-time"
        elif kind == "string":
            prop["pattern"] = NO_NUL
        properties[spec.name] = prop if spec.required else {"anyOf": [prop, {"type": "null"}]}


def request_body(endpoint: AnyEndpoint, auth: BetterAuth) -> dict[str, Any] | None:
    """The ``requestBody`` object of an endpoint with a body, or ``None``."""
    model = endpoint.body
    if model is None or not endpoint.read_body:
        return None
    schema = model.model_json_schema(by_alias=True, mode="validation")
    _no_nul(schema.get("properties", {}))
    if getattr(model, "user_fields", False):
        _columns(schema.setdefault("properties", {}), auth, "user")
    if getattr(model, "session_fields", False):
        _columns(schema.setdefault("properties", {}), auth, "session")
    for name in getattr(model, "user_data_fields", ()):
        _columns(schema["properties"][name].setdefault("properties", {}), auth, "user", everything=True)
    if getattr(model, "needs_a_field", False):
        schema["anyOf"] = [{"required": [name]} for name in schema.get("properties", {})]
    _password_lengths(schema, model, auth)
    required = bool(getattr(model, "body_required", False)) or any(f.is_required() for f in model.model_fields.values())
    content = {"application/json": {"schema": schema}}
    if endpoint.media != "json":
        content["application/x-www-form-urlencoded"] = {"schema": _form_schema(schema)}
    return {"required": required, "content": content}


def _form_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A form post carries text only: the same body without the fields that must be booleans or numbers."""
    text = {name: prop for name, prop in schema.get("properties", {}).items() if prop.get("type") in ("string", None)}
    form = {**schema, "properties": text}
    if "required" in schema:
        form["required"] = [name for name in schema["required"] if name in text]
    return form


def parameters(endpoint: AnyEndpoint) -> list[dict[str, Any]]:
    """Path and query parameters."""
    found: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", endpoint.path)
    ]
    if endpoint.query is not None:
        schema = endpoint.query.model_json_schema(by_alias=True, mode="validation")
        _no_nul(schema.get("properties", {}))
        required = set(schema.get("required", []))
        found += [
            {"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()
        ]
    return found


def _implied_errors(endpoint: AnyEndpoint) -> list[ErrorDoc]:
    """The errors every route of this kind can answer, whatever its handler does."""
    docs: list[ErrorDoc] = []
    if endpoint.body is not None or endpoint.query is not None:
        docs.append(ErrorDoc(400, (ErrorCode.VALIDATION_ERROR,), "Invalid input"))
    if endpoint.body is not None and endpoint.read_body:
        docs += [
            ErrorDoc(400, (ErrorCode.BAD_REQUEST,), "Malformed body"),
            ErrorDoc(413, (ErrorCode.PAYLOAD_TOO_LARGE,)),
            ErrorDoc(415, (ErrorCode.UNSUPPORTED_MEDIA_TYPE,)),
        ]
    if endpoint.method != "GET":
        docs.append(ErrorDoc(403, (ErrorCode.MISSING_OR_NULL_ORIGIN, ErrorCode.INVALID_ORIGIN), "With cookies"))
    fields = set(endpoint.body.model_json_schema(by_alias=True).get("properties", {})) if endpoint.body else set()
    if endpoint.query is not None:
        fields |= set(endpoint.query.model_json_schema(by_alias=True).get("properties", {}))
    codes = tuple(code for name, code in _CALLBACK_CODES.items() if name in fields)
    if codes:
        docs += [ErrorDoc(403, codes), ErrorDoc(400, (), "A trusted redirect URL with control characters")]
    if endpoint.auth in ("session", "sensitive", "fresh"):
        docs.append(ErrorDoc(401, (ErrorCode.UNAUTHORIZED,), "No valid session"))
    if endpoint.auth == "fresh":
        docs.append(ErrorDoc(403, (ErrorCode.SESSION_NOT_FRESH,)))
    return docs


def responses(endpoint: AnyEndpoint, *, storage: bool = False) -> dict[int | str, dict[str, Any]]:
    """Every answer of the route but its 200 (documented by :func:`response_model`).

    ``storage``: the server has a secondary storage, so any route may answer 503 while it is down.
    """
    answers: dict[int | str, dict[str, Any]] = {}
    if storage:
        answers[503] = {
            "model": ErrorBody,
            "description": "`STORAGE_UNAVAILABLE`: the secondary storage is down; retry after `Retry-After` seconds",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        }
    if endpoint.redirect:
        answers[302] = {
            "description": endpoint.redirect,
            "headers": {"Location": {"schema": {"type": "string"}, "description": "The redirect target"}},
        }
    for doc in (*endpoint.errors, *_implied_errors(endpoint)):
        if doc.empty:
            answers.setdefault(doc.status, {"description": doc.description, "content": {}})
            continue
        entry = answers.setdefault(doc.status, {"model": ErrorBody, "description": ""})
        codes = ", ".join(f"`{c.value}` ({ERROR_MESSAGES.get(c, '')})" for c in doc.codes)
        text = " ".join(part for part in (doc.description, codes) if part)
        if text not in entry["description"]:
            entry["description"] = "; ".join(p for p in (entry["description"], text) if p) or "Error"
    limited = "Rate limited; retry after `X-Retry-After` seconds"
    retry = {"X-Retry-After": {"schema": {"type": "integer"}}}
    declared = answers.get(429)
    if declared is None:
        answers[429] = {"model": TooManyRequests, "description": limited, "headers": retry}
    else:  # the route has its own 429 too (sign-in's lockout), which carries a code and Retry-After
        retry["Retry-After"] = {"schema": {"type": "integer"}}
        answers[429] = {"model": ErrorBody, "description": f"{limited}; {declared['description']}", "headers": retry}
    if endpoint.answer_media != "application/json":
        answers[200] = {"content": {endpoint.answer_media: {"schema": {"type": "string"}}}}
    return answers


def response_model(endpoint: AnyEndpoint) -> Any:
    """The type documented for a 200 answer (none for redirect-only or non-JSON endpoints)."""
    declared = endpoint.response
    if declared is Redirect or endpoint.redirect or endpoint.answer_media != "application/json":
        return None
    if isinstance(declared, Nullable):
        kind: Any = declared.of
        return kind | None
    return declared

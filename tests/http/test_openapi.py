"""Every auth route is documented in OpenAPI with typed bodies, responses and its errors."""

from __future__ import annotations

import httpx
import pytest

from fastapi_betterauth import BetterAuth

pytestmark = pytest.mark.anyio


async def test_every_route_is_typed_in_openapi(client: httpx.AsyncClient, auth: BetterAuth) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for endpoint in auth.endpoints:
        if not endpoint.http or (endpoint.available is not None and not endpoint.available(auth.context)):
            continue
        operation = paths["/api/auth" + endpoint.path][endpoint.method.lower()]
        assert operation["operationId"] == endpoint.operation_id
        assert operation.get("tags") and "default" not in operation["tags"], endpoint.path  # grouped in Swagger
        if endpoint.redirect:
            assert "Location" in operation["responses"]["302"]["headers"], endpoint.path
        elif endpoint.answer_media != "application/json":
            assert operation["responses"]["200"]["content"][endpoint.answer_media]["schema"], endpoint.path
        else:
            assert operation["responses"]["200"]["content"]["application/json"]["schema"], endpoint.path
        if endpoint.body is not None and endpoint.read_body:  # an unread body is not documented
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            assert schema["type"] == "object", endpoint.path
        for doc in endpoint.errors:
            described = operation["responses"][str(doc.status)]
            assert all(code.value in described["description"] for code in doc.codes)
    sign_in = paths["/api/auth/sign-in/email"]["post"]
    body = sign_in["requestBody"]["content"]
    assert set(body) == {"application/json", "application/x-www-form-urlencoded"}
    assert "rememberMe" not in body["application/x-www-form-urlencoded"]["schema"]["properties"]  # text only
    assert {"email", "password", "callbackURL", "rememberMe"} <= set(body["application/json"]["schema"]["properties"])
    assert "401" in sign_in["responses"] and "INVALID_EMAIL_OR_PASSWORD" in sign_in["responses"]["401"]["description"]
    get_session = paths["/api/auth/get-session"]["get"]
    assert {p["name"] for p in get_session["parameters"]} == {"disableCookieCache", "disableRefresh"}
    reset_link = paths["/api/auth/reset-password/{token}"]["get"]
    assert {(p["name"], p["in"], p["required"]) for p in reset_link["parameters"]} == {
        ("token", "path", True),
        ("callbackURL", "query", True),
    }
    # the catch-all 404 route stays out of the documentation
    assert not any("{path}" in p for p in paths)

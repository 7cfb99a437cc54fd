"""``install_error_handlers(app)``: the app's own routes fail in the auth routes' ``{message, code}`` shape."""

import logging

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from fastapi_betterauth import BetterAuth, MemoryAdapter, install_error_handlers
from tests.conftest import BASE_URL, make_settings

pytestmark = pytest.mark.anyio


class Task(BaseModel):
    title: str = Field(min_length=1, max_length=20)


def build() -> FastAPI:
    auth = BetterAuth(make_settings(), adapter=MemoryAdapter())
    app = FastAPI(lifespan=auth.lifespan)
    app.include_router(auth.router)
    install_error_handlers(app)

    @app.post("/tasks")
    async def create(task: Task) -> Task:
        return task

    @app.get("/tasks/{task_id}")
    async def read(task_id: int) -> Task:
        raise HTTPException(404, "Task not found")

    @app.delete("/tasks/{task_id}")
    async def delete(task_id: int) -> None:
        raise HTTPException(409, detail={"message": "Task is locked", "code": "TASK_LOCKED"})

    @app.get("/upstream")
    async def upstream() -> None:
        raise HTTPException(599, detail="")  # a status outside the standard ones, without a message

    @app.get("/boom")
    async def boom(value: str) -> None:
        raise RuntimeError(f"failed for {value}")

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    async with LifespanManager(build()) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
            yield c


async def test_http_exceptions_use_message_and_code(client: httpx.AsyncClient) -> None:
    r = await client.get("/tasks/1")
    assert (r.status_code, r.json()) == (404, {"message": "Task not found", "code": "NOT_FOUND"})
    r = await client.delete("/tasks/1")
    assert (r.status_code, r.json()) == (409, {"message": "Task is locked", "code": "TASK_LOCKED"})
    r = await client.get("/nowhere")
    assert (r.status_code, r.json()) == (404, {"message": "Not Found", "code": "NOT_FOUND"})
    r = await client.get("/upstream")  # was a 500: the status had no standard phrase
    assert (r.status_code, r.json()) == (599, {"message": "Error", "code": "ERROR"})


async def test_405_names_every_allowed_method(client: httpx.AsyncClient) -> None:
    r = await client.put("/tasks/1")
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"
    assert r.headers["allow"] == "DELETE, GET"


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/tasks/abc", None, "[path.task_id]"),
        ("/tasks", {"title": ""}, "[body.title]"),
        ("/tasks", {"title": "x" * 21, "password": "hunter2"}, "[body.title]"),
        ("/tasks", "{not json", "[body.1]"),
    ],
)
async def test_validation_failures_are_422_with_a_message_and_no_echo(
    client: httpx.AsyncClient, path: str, body: object, where: str
) -> None:
    if path == "/tasks/abc":
        r = await client.get(path)
    elif isinstance(body, str):
        r = await client.post(path, content=body, headers={"content-type": "application/json"})
    else:
        r = await client.post(path, json=body)
    assert r.status_code == 422, r.text
    found = r.json()
    assert found["code"] == "VALIDATION_ERROR" and found["message"].startswith(where), found
    assert {"loc", "msg", "type"} == set(found["errors"][0])
    assert "hunter2" not in r.text and "xxxxxxxxxxxxxxxxxxxxx" not in r.text  # the input is never echoed


async def test_auth_routes_keep_their_own_errors(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/sign-in/email", json={"email": "nobody@example.com"})
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR"
    assert "errors" not in r.json()  # Better Auth's body, untouched


async def test_unexpected_errors_are_a_500_without_the_message(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="fastapi_betterauth.app"):
        r = await client.get("/boom", params={"value": "secret-value-in-message"})
    assert (r.status_code, r.json()) == (500, {"message": "Internal Server Error", "code": "INTERNAL_SERVER_ERROR"})
    assert "secret-value-in-message" not in r.text
    assert "RuntimeError" in caplog.text and "/boom" in caplog.text
    assert "secret-value-in-message" not in caplog.text


def test_openapi_documents_the_422_it_answers() -> None:
    spec = build().openapi()
    schema = spec["components"]["schemas"]["HTTPValidationError"]
    assert set(schema["required"]) == {"message", "code", "errors"}
    assert "detail" not in schema["properties"]
    ref = spec["paths"]["/tasks"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/HTTPValidationError"


async def test_an_unexpected_error_stops_at_the_app_with_a_cors_answer(caplog: pytest.LogCaptureFixture) -> None:
    """The 500 is answered inside the app and the exception goes no further: the server (here the transport,
    which raises what reaches it) never sees it, so its own log cannot print the message."""
    app = build()
    BetterAuth(make_settings(), adapter=MemoryAdapter()).add_cors(app)  # added after: it wraps the 500 too
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)  # raise_app_exceptions=True
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
            with caplog.at_level(logging.ERROR):
                r = await c.get(
                    "/boom", params={"value": "secret-value-in-message"}, headers={"Origin": "http://localhost:3000"}
                )
    assert (r.status_code, r.json()["code"]) == (500, "INTERNAL_SERVER_ERROR")
    assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert caplog.text.count("unhandled error on GET /boom") == 1
    assert "secret-value-in-message" not in caplog.text

"""The todo example as a multi-worker test runs it: ``uvicorn tests.load.todo_workers:app --workers 4``.

The example itself, plus one response header naming the worker process, so the test can show its requests
really were spread over several workers.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from fastapi import Request, Response

from examples.todo.app.main import create_app

app = create_app()


@app.middleware("http")
async def name_the_worker(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response

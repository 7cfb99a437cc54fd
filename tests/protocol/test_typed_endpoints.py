"""mypy --strict checks each handler against its endpoint declaration (body, query and answer).

Each snippet below is a handler that is wrong in one way; mypy must refuse it. The correct one must pass,
so a failure here is never mypy being unavailable or the snippet being broken.
"""

from __future__ import annotations

import textwrap

import pytest

mypy_api = pytest.importorskip("mypy.api", reason="mypy is part of the dev extra")

HEADER = """
from fastapi_betterauth.protocol.context import EndpointContext
from fastapi_betterauth.protocol.endpoint import AuthResponse, endpoint
from fastapi_betterauth.protocol.routes.sign_in import SignInEmailBody
from fastapi_betterauth.protocol.shapes import StatusResponse
"""

RIGHT = """
@endpoint("POST", "/x", operation_id="x", body=SignInEmailBody, response=StatusResponse)
async def x(ctx: EndpointContext[SignInEmailBody, None]) -> StatusResponse | AuthResponse:
    return {"status": bool(ctx.body.email)}
"""

WRONG = {
    "misspelt_body_field": (
        RIGHT.replace("ctx.body.email", "ctx.body.emial"),
        '"SignInEmailBody" has no attribute "emial"',
    ),
    "misspelt_answer_key": (RIGHT.replace('{"status":', '{"stats":'), "Incompatible return value"),
    "answer_of_the_wrong_type": (RIGHT.replace("bool(ctx.body.email)", "ctx.body.email"), "Incompatible return value"),
    "handler_for_another_body": (
        RIGHT.replace("EndpointContext[SignInEmailBody, None]", "EndpointContext[None, None]"),
        "Argument 1 has incompatible type",
    ),
    "handler_answering_another_shape": (
        RIGHT.replace("-> StatusResponse | AuthResponse", "-> dict[str, bool] | AuthResponse"),
        "Argument 1 has incompatible type",
    ),
}


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One mypy --strict run over the right handler and every wrong one: the errors reported per module."""
    folder = tmp_path_factory.mktemp("handlers")
    cases = {"right": RIGHT, **{name: body for name, (body, _) in WRONG.items()}}
    for name, body in cases.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(HEADER) + textwrap.dedent(body))
    stdout, stderr, _ = mypy_api.run(
        ["--strict", "--cache-dir", str(folder / ".mypy"), *(str(folder / f"{name}.py") for name in cases)]
    )
    output = stdout + stderr
    return {name: "\n".join(line for line in output.splitlines() if f"{name}.py:" in line) for name in cases}


@pytest.mark.slow
def test_mypy_accepts_a_handler_that_matches_its_declaration(mypy_output: dict[str, str]) -> None:
    assert mypy_output["right"] == ""


@pytest.mark.slow
@pytest.mark.parametrize("case", WRONG)
def test_mypy_refuses_a_handler_that_does_not(mypy_output: dict[str, str], case: str) -> None:
    _, mentions = WRONG[case]
    assert "error:" in mypy_output[case], mypy_output
    assert mentions in mypy_output[case]

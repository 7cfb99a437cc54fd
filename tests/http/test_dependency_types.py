"""mypy --strict on user code: both spellings of the guard dependencies type-check, misuse does not.

``user: Annotated[User, require_role("admin")]`` and ``user: User = Depends(require_role("admin"))`` pass;
the factories return ``AuthDependency[User]`` / ``AuthDependency[dict[str, Any]]`` (not ``Any``), so a
misspelt attribute or claims taken for a user are refused. The right snippet must pass, so a failure
here is never mypy being unavailable or the snippet being broken.
"""

from __future__ import annotations

import textwrap

import pytest

mypy_api = pytest.importorskip("mypy.api", reason="mypy is part of the dev extra")

RIGHT = """
from typing import Annotated, Any, assert_type

from fastapi import APIRouter, Depends, FastAPI

from fastapi_betterauth import AuthDependency, JWTVerifier, User, require_jwt, require_permission, require_role

app = FastAPI()
router = APIRouter(dependencies=[Depends(require_role("admin")), require_permission({"task": ["delete"]})])


@app.get("/annotated")
async def annotated(user: Annotated[User, require_role("admin", "owner")]) -> str:
    assert_type(user.role, str | None)  # the admin plugin's column is a typed field
    assert_type(user.roles, tuple[str, ...])
    return user.id


@app.get("/default")
async def default(user: User = Depends(require_permission({"task": ["delete"]}))) -> str:
    return user.email


@app.get("/claims", dependencies=[Depends(require_jwt())])
async def claims(found: dict[str, Any] = Depends(require_jwt(JWTVerifier(secret="s" * 32)))) -> str:
    return str(found["sub"])


assert_type(require_role("admin"), AuthDependency[User])
assert_type(require_permission({"task": ["delete"]}), AuthDependency[User])
assert_type(require_jwt(), AuthDependency[dict[str, Any]])
"""

WRONG = {
    "guard_object_as_the_user": (
        RIGHT.replace(
            'user: User = Depends(require_permission({"task": ["delete"]}))', 'user: User = require_role("x")'
        ),
        "Incompatible default for parameter",
    ),
    "misspelt_attribute": (RIGHT + '\nrequire_role("admin").dependncy\n', 'has no attribute "dependncy"'),
    "role_taken_for_a_list": (
        RIGHT + "\nasync def g(user: User) -> list[str]:\n    return user.role\n",
        "Incompatible return value",
    ),
    "claims_taken_for_a_user": (
        RIGHT + "\nasync def f() -> User:\n    return await require_jwt()()\n",
        "Incompatible return value",
    ),
}


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One mypy --strict run over user code with both spellings, and over each mistake."""
    folder = tmp_path_factory.mktemp("spellings")
    cases = {"right": RIGHT, **{name: body for name, (body, _) in WRONG.items()}}
    for name, body in cases.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(body))
    stdout, stderr, _ = mypy_api.run(
        ["--strict", "--cache-dir", str(folder / ".mypy"), *(str(folder / f"{name}.py") for name in cases)]
    )
    output = stdout + stderr
    return {name: "\n".join(line for line in output.splitlines() if f"{name}.py:" in line) for name in cases}


@pytest.mark.slow
def test_mypy_accepts_both_spellings(mypy_output: dict[str, str]) -> None:
    assert mypy_output["right"] == ""


@pytest.mark.slow
@pytest.mark.parametrize("case", WRONG)
def test_mypy_refuses_misuse(mypy_output: dict[str, str], case: str) -> None:
    _, mentions = WRONG[case]
    assert "error:" in mypy_output[case], mypy_output
    assert mentions in mypy_output[case], mypy_output[case]

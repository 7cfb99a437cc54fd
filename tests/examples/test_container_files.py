"""The examples' Dockerfile and compose.yaml cannot drift from the apps they package.

No Docker daemon runs here or in CI, so the image is never built: instead these tests read the files and
check them against the real app. The CMD's module:app imports and is a FastAPI app; EXPOSE, the compose
port and uvicorn's --port agree; every environment name in compose is one the example or ``AuthSettings``
reads; the HEALTHCHECK path is a route; the final stage runs as a non-root user; and the app starts with the
compose environment (production, the compose secret) and answers its health path. The mutation tests at the
end show that a wrong port, a misspelt name or a root user is caught.
"""

import importlib
import importlib.util
import json
import logging
import re
import secrets
import shlex
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import fastapi.routing
import httpx
import pytest
import yaml
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import AliasChoices, BaseModel
from uvicorn.main import main as uvicorn_cli

from fastapi_betterauth import AuthSettings
from tests._services import (
    REDIS_URL,
    asyncpg_url,
    create_postgres_database,
    drop_postgres_database,
    drop_redis_keys,
    redis_storage,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ["todo", "rag_chat"]
REQUIRED_ENV = {"BETTER_AUTH_SECRET", "BETTER_AUTH_URL", "DATABASE_URL"}
IMAGE_ENV = {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
"""Names the final stage may set for Python itself rather than for the app."""


# ---------------------------------------------------------------- reading the files


@dataclass
class Dockerfile:
    stages: list[list[tuple[str, str]]]
    """Instructions (KEYWORD, arguments) per ``FROM``, continuation lines joined, comments dropped."""

    @classmethod
    def parse(cls, text: str) -> "Dockerfile":
        logical: list[str] = []
        pending = ""
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue  # also inside a continuation, as Docker does
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            logical.append(pending + line)
            pending = ""
        stages: list[list[tuple[str, str]]] = []
        for line in logical:
            keyword, _, args = line.partition(" ")
            if keyword.upper() == "FROM":
                stages.append([])
            if stages:
                stages[-1].append((keyword.upper(), args.strip()))
        return cls(stages)

    @property
    def final(self) -> list[tuple[str, str]]:
        return self.stages[-1] if self.stages else []

    def last(self, keyword: str) -> str | None:
        found = [args for key, args in self.final if key == keyword]
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """The final stage's ``ENV name=value`` pairs."""
        pairs = [item.partition("=") for key, args in self.final if key == "ENV" for item in shlex.split(args)]
        return {name: value for name, _, value in pairs}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}`` (an error when unset), ``$$``."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op") or "", match.group("arg") or ""
        current = env.get(name)
        if op in (":?", "?") and not current:
            raise LookupError(f"compose requires {name}: {arg}")
        if op in (":-", "-") and not current:
            return arg
        return current or ""

    return re.sub(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}", one, value)


def compose_environment(service: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.partition("=")[::2] for item in raw)
    return {name: interpolate(str(value), env) for name, value in raw.items()}


def container_ports(service: dict[str, Any]) -> set[int]:
    ports: set[int] = set()
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            ports.add(int(entry["target"]))
        else:
            ports.add(int(str(entry).rsplit(":", 1)[-1].split("/")[0]))
    return ports


def dockerignore_allows(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified: the last pattern matching the path or one of its parents decides."""
    allowed = True
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern.lstrip("!").strip("/")
        regex = re.escape(body).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, candidate) for candidate in candidates):
            allowed = negated
    return allowed


# ---------------------------------------------------------------- what the apps really read


def auth_settings_env_names() -> set[str]:
    """Every environment name ``AuthSettings`` reads: its prefix, its aliases, nested sections with ``__``."""
    config = AuthSettings.model_config
    prefix, delimiter = str(config["env_prefix"]), str(config["env_nested_delimiter"])

    def walk(model: type[BaseModel], stem: str) -> set[str]:
        names: set[str] = set()
        for name, field in model.model_fields.items():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):  # documented env names are the upper-case choices
                names |= {c for c in alias.choices if isinstance(c, str) and c.isupper()}
                continue
            env_name = f"{stem}{name.upper()}"
            names.add(env_name)
            for candidate in (field.annotation, *typing.get_args(field.annotation)):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    names |= walk(candidate, env_name + delimiter)
        return names

    return walk(AuthSettings, prefix)


_ENV_READ = re.compile(r"""(?:environ\.get|getenv|environ\[|_env_\w+)\(?\s*["']([A-Z][A-Z0-9_]*)["']""")


def example_env_names(example: str) -> set[str]:
    """The names the example's own code reads (``os.environ``, ``os.getenv``, its ``_env_*`` helpers)."""
    names: set[str] = set()
    for path in (ROOT / "examples" / example / "app").rglob("*.py"):
        names |= set(_ENV_READ.findall(path.read_text()))
    return names


def app_module(dockerfile: Dockerfile) -> tuple[str, str, int, str]:
    """(module, attribute, port, host) of the final CMD, parsed by uvicorn's own command line."""
    cmd = dockerfile.last("CMD")
    assert cmd is not None and cmd.startswith("["), "CMD must be in exec form (signals reach uvicorn)"
    argv = json.loads(cmd)
    assert argv[0] == "uvicorn", argv
    params = uvicorn_cli.make_context("uvicorn", argv[1:]).params
    module, _, attribute = str(params["app"]).partition(":")
    return module, attribute, int(params["port"]), str(params["host"])


def health_url(dockerfile: Dockerfile) -> tuple[int, str]:
    check = dockerfile.last("HEALTHCHECK")
    assert check is not None, "the final stage has no HEALTHCHECK"
    found = re.search(r"http://(?:127\.0\.0\.1|localhost):(\d+)(/[^\s'\"]*)", check)
    assert found is not None, f"no local health URL in {check!r}"
    return int(found.group(1)), found.group(2)


def routes_of(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route, included routers too (recent FastAPI keeps them unflattened)."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = contexts(list(app.routes)) if contexts is not None else app.routes
    return {(m, str(r.path)) for r in routes for m in (getattr(r, "methods", None) or ())}


# ---------------------------------------------------------------- the checks


def problems(example: str, dockerfile_text: str, compose_text: str) -> list[str]:
    """Everything that does not match the app; empty when the files are right."""
    found: list[str] = []
    docker = Dockerfile.parse(dockerfile_text)
    if len(docker.stages) < 2:
        found.append("not multi-stage: a builder stage and a slim final stage expected")
    user = docker.last("USER")
    if user is None or user.split(":")[0] in ("root", "0"):
        found.append(f"the final stage runs as root (USER {user})")
    try:
        module, attribute, port, host = app_module(docker)
        app = getattr(importlib.import_module(module), attribute)
        if not isinstance(app, FastAPI):
            found.append(f"CMD names {module}:{attribute}, which is not a FastAPI app")
    except Exception as error:  # any failure to resolve the CMD is a finding
        return [*found, f"CMD does not name an importable app: {type(error).__name__}: {error}"]
    if host != "0.0.0.0":
        found.append(f"uvicorn listens on {host}: nothing outside the container can reach it")
    exposed = {int(p.split("/")[0]) for p in (docker.last("EXPOSE") or "").split()}
    if exposed != {port}:
        found.append(f"EXPOSE {exposed} is not uvicorn's --port {port}")
    health_port, health_path = health_url(docker)
    if health_port != port:
        found.append(f"HEALTHCHECK asks port {health_port}, uvicorn listens on {port}")
    if ("GET", health_path) not in routes_of(app):
        found.append(f"HEALTHCHECK path {health_path} is not a GET route of {module}:{attribute}")
    module_file = Path(*module.split(".")).with_suffix(".py")
    found += copy_problems(docker, module_file)
    readable = example_env_names(example) | auth_settings_env_names()
    for name in sorted(set(docker.env()) - readable - IMAGE_ENV):
        found.append(f"Dockerfile ENV {name} is read by neither the app nor AuthSettings")
    extras = re.search(r"""pip install ["']?\.\[([^\]]+)\]""", dockerfile_text)
    if extras is None or not {"postgres", "redis", "demo"} <= set(extras.group(1).split(",")):
        found.append("the builder must install the project with the postgres, redis and demo extras")

    compose = yaml.safe_load(compose_text)
    services = compose["services"]
    service = services["app"]
    build = service["build"]
    if (ROOT / "examples" / example / build["context"]).resolve() != ROOT:
        found.append(f"build context {build['context']} is not the repository root")
    if (ROOT / build["dockerfile"]).resolve() != (ROOT / "examples" / example / "Dockerfile").resolve():
        found.append(f"compose builds {build['dockerfile']}, not this example's Dockerfile")
    if container_ports(service) != {port}:
        found.append(f"compose publishes container ports {container_ports(service)}, uvicorn listens on {port}")
    try:
        env = compose_environment(service, {"BETTER_AUTH_SECRET": "x" * 48})
    except LookupError as error:
        return [*found, str(error)]
    for name in sorted(set(env) - readable):
        found.append(f"compose sets {name}, which neither the app nor AuthSettings reads")
    for name in sorted(REQUIRED_ENV - set(env)):
        found.append(f"compose does not set {name}")
    if env.get("BETTER_AUTH_ENV") != "production":
        found.append("compose must run the app with BETTER_AUTH_ENV=production")
    for name, scheme, target in (("DATABASE_URL", "postgresql+asyncpg", "postgres"), ("REDIS_URL", "redis", "redis")):
        url = urlsplit(env.get(name, ""))
        if url.scheme != scheme or url.hostname != target or target not in services:
            found.append(f"{name} must be {scheme}://… on the {target} service, not {env.get(name)}")
    for dependency in ("postgres", "redis"):
        condition = (service.get("depends_on") or {}).get(dependency, {})
        if not isinstance(condition, dict) or condition.get("condition") != "service_healthy":
            found.append(f"app must wait for {dependency} with condition service_healthy")
        if "healthcheck" not in services.get(dependency, {}):
            found.append(f"the {dependency} service has no healthcheck")
    return found


def copy_problems(docker: Dockerfile, module_file: Path) -> list[str]:
    """Every COPY source exists and passes .dockerignore; the app's packages land at their import paths."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    found: list[str] = []
    copied: list[tuple[str, str]] = []
    for stage in docker.stages:
        for key, args in stage:
            if key != "COPY" or "--from=" in args:
                continue
            *sources, dest = [a for a in shlex.split(args) if not a.startswith("--")]
            for source in sources:
                if not (ROOT / source).exists():
                    found.append(f"COPY {source}: no such file in the repository")
                elif not dockerignore_allows(source, patterns):
                    found.append(f"COPY {source}: excluded by .dockerignore")
                if stage is docker.final:
                    copied.append((source.rstrip("/"), dest.rstrip("/")))
    needed = [*(str(p / "__init__.py") for p in module_file.parents if str(p) != "."), str(module_file)]
    for path in needed:
        if not any(path == src or path.startswith(src + "/") for src, dst in copied if src == dst):
            found.append(f"{path} is not copied to the same path under WORKDIR")
        elif not dockerignore_allows(path, patterns):
            found.append(f"{path} is excluded by .dockerignore")
    for path in ("pyproject.toml", "README.md", "src/fastapi_betterauth/__init__.py"):
        if not dockerignore_allows(path, patterns):
            found.append(f"{path} is excluded by .dockerignore: the wheel cannot be built")
    return found


def files(example: str) -> tuple[str, str]:
    base = ROOT / "examples" / example
    return (base / "Dockerfile").read_text(), (base / "compose.yaml").read_text()


@pytest.mark.parametrize("example", EXAMPLES)
def test_container_files_match_the_app(example: str) -> None:
    assert problems(example, *files(example)) == []


def test_derived_env_names_are_the_settings_real_ones() -> None:
    names = auth_settings_env_names()
    assert {"BETTER_AUTH_SECRET", "BETTER_AUTH_URL", "BETTER_AUTH_TRUSTED_ORIGINS", "BETTER_AUTH_ENV"} <= names
    assert {"BETTER_AUTH_SESSION__EXPIRES_IN", "BETTER_AUTH_ADVANCED__TRUSTED_PROXIES"} <= names
    assert "BETTER_AUTH_BASE_URL" in names and "BETTER_AUTH_ENVIRONMENT" not in names  # aliases, not field names
    assert {"DATABASE_URL", "REDIS_URL", "TODO_CREATE_SCHEMA", "LOG_FORMAT"} <= example_env_names("todo")
    assert {"RAG_RETENTION_DAYS", "RAG_CREATE_SCHEMA", "REDIS_URL"} <= example_env_names("rag_chat")


# ---------------------------------------------------------------- the app starts with the compose environment


@contextmanager
def logging_restored() -> Iterator[None]:
    """``LOG_FORMAT=json`` reconfigures logging for the process: put it back afterwards."""
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "httpx")
    saved = {n: (list(logging.getLogger(n).handlers), logging.getLogger(n).level) for n in names}
    flags = {n: (logging.getLogger(n).propagate, logging.getLogger(n).disabled) for n in names}
    try:
        yield
    finally:
        for name, (handlers, level) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate, logger.disabled = flags[name]


def fresh_module(module: str) -> types.ModuleType:
    """Execute ``module`` again, as uvicorn's import would in a new container, without replacing the cached one."""
    package, _, leaf = module.rpartition(".")
    importlib.import_module(package)
    origin = importlib.util.find_spec(module)
    assert origin is not None and origin.origin is not None
    spec = importlib.util.spec_from_file_location(f"{package}._container_{leaf}", origin.origin)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.anyio
@pytest.mark.parametrize("example", EXAMPLES)
async def test_app_starts_with_the_compose_environment(example: str, monkeypatch: pytest.MonkeyPatch) -> None:
    dockerfile_text, compose_text = files(example)
    docker = Dockerfile.parse(dockerfile_text)
    module, attribute, _, _ = app_module(docker)
    _, health_path = health_url(docker)
    secret = secrets.token_urlsafe(48)
    env = compose_environment(yaml.safe_load(compose_text)["services"]["app"], {"BETTER_AUTH_SECRET": secret})
    prefix = f"container-check-{secrets.token_hex(4)}:"
    redis = await redis_storage(prefix)  # skips (fails in CI) without a Redis server
    dsn = await create_postgres_database()
    try:
        # The compose hosts (postgres, redis) are this machine's services here; nothing else changes.
        env |= {"DATABASE_URL": asyncpg_url(dsn), "REDIS_URL": REDIS_URL}
        for name, value in {**docker.env(), **env}.items():
            if name not in IMAGE_ENV:
                monkeypatch.setenv(name, value)
        monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
        with logging_restored():
            app = getattr(fresh_module(module), attribute)
            auth = app.state.auth
            assert auth.settings.environment == "production"
            assert auth.settings.base_url == env["BETTER_AUTH_URL"]
            assert auth.settings.secret.get_secret_value() == secret
            assert list(auth.settings.trusted_origins) == env["BETTER_AUTH_TRUSTED_ORIGINS"].split(",")
            assert auth.secondary_storage is not None  # REDIS_URL was read
            async with LifespanManager(app) as manager:
                transport = httpx.ASGITransport(app=manager.app)
                async with httpx.AsyncClient(transport=transport, base_url=env["BETTER_AUTH_URL"]) as client:
                    r = await client.get(health_path)
                    assert r.status_code == 200, r.text
                    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])  # LOG_FORMAT=json took effect
    finally:
        await drop_postgres_database(dsn)
        await drop_redis_keys(redis)  # and closes it


# ---------------------------------------------------------------- a drift is caught


def _swap(old: str, new: str, *, count: int = 1) -> Callable[[str], str]:
    def apply(text: str) -> str:
        assert old in text, f"mutation target {old!r} not found"
        return text.replace(old, new, count)

    return apply


def _keep(text: str) -> str:
    return text


MUTATIONS: dict[str, tuple[Callable[[str], str], Callable[[str], str], str]] = {
    # name: (Dockerfile change, compose change, words the finding must contain)
    "compose port": (_keep, _swap('"8000:8000"', '"8000:8080"'), "container ports"),
    "uvicorn port": (_swap('"--port", "8000"', '"--port", "8001"'), _keep, "EXPOSE"),
    "exposed port": (_swap("EXPOSE 8000", "EXPOSE 8080"), _keep, "EXPOSE"),
    "env name typo": (_keep, _swap("BETTER_AUTH_URL:", "BETTER_AUTH_ULR:"), "BETTER_AUTH_ULR"),
    "missing secret": (_keep, _swap("BETTER_AUTH_SECRET:", "BETTER_AUTH_SECRETS_FILE:"), "not set BETTER_AUTH_SECRET"),
    "unknown app env": (_keep, _swap('LOG_FORMAT: "json"', 'LOG_FMT: "json"'), "LOG_FMT"),
    "sync driver": (_keep, _swap("postgresql+asyncpg://", "postgresql://"), "DATABASE_URL"),
    "not production": (_keep, _swap('BETTER_AUTH_ENV: "production"', 'BETTER_AUTH_ENV: "development"'), "production"),
    "no healthy wait": (_keep, _swap("condition: service_healthy", "condition: service_started"), "service_healthy"),
    "health path": (_swap("/health/ready", "/health/readyz"), _keep, "HEALTHCHECK path"),
    "module typo": (_swap(".app.main:app", ".app.mian:app"), _keep, "importable"),
    "root user": (_swap("USER app", "USER root"), _keep, "root"),
    "no user": (_swap("USER app\n", ""), _keep, "root"),
    "single stage": (lambda t: re.sub(r"FROM python:[\w.-]+ AS builder", "ARG BUILDER=none", t), _keep, "multi-stage"),
    "image env typo": (_swap("LOG_FORMAT=json", "LOG_FROMAT=json"), _keep, "LOG_FROMAT"),
    "missing copy": (_swap("COPY examples/__init__.py examples/__init__.py\n", ""), _keep, "examples/__init__.py"),
    "context": (_keep, _swap("context: ../..", "context: .."), "build context"),
}


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_drift_is_caught(example: str, mutation: str) -> None:
    change_dockerfile, change_compose, expected = MUTATIONS[mutation]
    dockerfile_text, compose_text = files(example)
    found = problems(example, change_dockerfile(dockerfile_text), change_compose(compose_text))
    assert any(expected in finding for finding in found), found


def test_dockerignore_rule() -> None:
    patterns = ["*", "!src", "!examples", "**/__pycache__", "**/*.db"]
    assert dockerignore_allows("src/fastapi_betterauth/auth.py", patterns)
    assert dockerignore_allows("examples/todo/app/main.py", patterns)
    assert not dockerignore_allows("tests/conftest.py", patterns)
    assert not dockerignore_allows("examples/todo/app/__pycache__/main.cpython-312.pyc", patterns)
    assert not dockerignore_allows("examples/todo/todo-demo.db", patterns)

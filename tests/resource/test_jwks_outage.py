"""JWTVerifier during JWKS outages: bounded staleness (``max_stale``), the circuit breaker, and the 503.

The issuer's ``/jwks`` is served over HTTP through ``httpx.MockTransport`` (a handler that counts calls
and can answer the key set, 500s, timeouts or garbage); time is a fake monotonic clock handed to the
verifier, so hours of outage take no time and every fetch count is exact.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_betterauth import ConfigurationError, CurrentUser, JWTError, JWTVerifier, ResourceServer, require_jwt
from fastapi_betterauth.crypto.jwt import encode_jwt, generate_key_pair, key_from_jwk
from fastapi_betterauth.resource.jwt_verifier import JWKSUnavailableError

pytestmark = pytest.mark.anyio
ISS = "https://auth.example.com"
JWKS_URL = f"{ISS}/api/auth/jwks"
Mode = Literal["up", "500", "timeout", "garbage", "not-a-key-set"]
OUTAGES: tuple[Mode, ...] = ("500", "timeout", "garbage", "not-a-key-set")


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class JWKSSource:
    """The issuer's key set endpoint: counts calls, and can be switched to fail in several ways."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.private, public = generate_key_pair("EdDSA")
        self.kid = "key-1"
        self.keys = [{"alg": "EdDSA", **public, "kid": self.kid}]
        self.mode: Mode = "up"
        self.gate: asyncio.Event | None = None  # set: answers wait until the test opens it (a slow issuer)
        self.calls: list[float] = []  # clock time of every request that reached the endpoint
        self.served: list[float] = []  # ... and of those answered with the key set
        self.client = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(self.clock())
        if self.gate is not None:
            await self.gate.wait()
        if self.mode == "500":
            return httpx.Response(500, text="Internal Server Error")
        if self.mode == "timeout":
            raise httpx.ConnectTimeout("timed out", request=request)
        if self.mode == "garbage":
            return httpx.Response(200, content=b'{"keys": [', headers={"content-type": "application/json"})
        if self.mode == "not-a-key-set":
            return httpx.Response(200, json=["not", "a", "key", "set"])
        self.served.append(self.clock())
        return httpx.Response(200, json={"keys": self.keys})

    def token(self, kid: str | None = None) -> str:
        now = int(time.time())  # token times are wall-clock: only the verifier's cache runs on the fake clock
        claims = {"sub": "user-1", "email": "a@example.com", "iat": now, "exp": now + 900, "iss": ISS, "aud": ISS}
        key = key_from_jwk(self.private, "EdDSA")
        return encode_jwt(claims, key, "EdDSA", headers={"kid": kid or self.kid})

    def verifier(self, **options: Any) -> JWTVerifier:
        return JWTVerifier(jwks_url=JWKS_URL, issuer=ISS, audience=ISS, client=self.client, clock=self.clock, **options)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def source(clock: FakeClock) -> JWKSSource:
    return JWKSSource(clock)


def random_kid_token(source: JWKSSource) -> str:
    return source.token(kid=f"forged-{uuid.uuid4().hex}")


async def reason(verifier: JWTVerifier, token: str) -> str:
    with pytest.raises(JWTError) as refused:
        await verifier.verify(token)
    return refused.value.reason


@pytest.mark.parametrize("outage", OUTAGES)
async def test_outage_within_max_stale_keeps_known_kids_working(
    source: JWKSSource, clock: FakeClock, outage: Mode
) -> None:
    verifier = source.verifier(cache_seconds=300, max_stale=3600)
    token = source.token()
    assert (await verifier.verify(token))["sub"] == "user-1"
    source.mode = outage
    for _ in range(12):  # up to exactly max_stale after the one good fetch
        clock.advance(300)
        assert (await verifier.verify(token))["sub"] == "user-1"
    assert len(source.served) == 1  # still the first key set: no extra successful fetch
    assert len(source.calls) > 1  # it did try, every time the set was due
    state = verifier.jwks_state
    assert (state.status, state.age) == ("stale", 3600)


@pytest.mark.parametrize("outage", OUTAGES)
async def test_outage_beyond_max_stale_fails_closed_then_recovers(
    source: JWKSSource, clock: FakeClock, outage: Mode
) -> None:
    verifier = source.verifier(cache_seconds=300, max_stale=3600, refetch_interval=30)
    token = source.token()
    await verifier.verify(token)
    source.mode = outage
    clock.advance(3600.5)
    with pytest.raises(JWKSUnavailableError) as refused:
        await verifier.verify(token)
    assert refused.value.reason == "jwks_unavailable" and refused.value.retry_after == 30
    assert await reason(verifier, token) == "jwks_unavailable"  # also without a fetch (rate limit)
    assert verifier.jwks_state.status == "unavailable"
    source.mode = "up"
    clock.advance(30)
    assert (await verifier.verify(token))["sub"] == "user-1"
    assert len(source.served) == 2 and verifier.jwks_state.status == "fresh"


@pytest.mark.parametrize("outage", OUTAGES)
async def test_never_fetched_and_down_is_jwks_unavailable_not_unknown_kid(
    source: JWKSSource, clock: FakeClock, outage: Mode
) -> None:
    verifier = source.verifier()
    source.mode = outage
    assert await reason(verifier, source.token()) == "jwks_unavailable"
    assert await reason(verifier, random_kid_token(source)) == "jwks_unavailable"
    assert len(source.calls) == 1  # the second one was within refetch_interval: no fetch
    assert verifier.jwks_state.status == "unavailable" and verifier.jwks_state.age is None


async def test_breaker_caps_fetches_during_an_outage_flood(source: JWKSSource, clock: FakeClock) -> None:
    # cache_seconds long enough that only unknown kids make fetches here
    verifier = source.verifier(refetch_interval=30, breaker_threshold=3, breaker_max_cooldown=100, cache_seconds=1000)
    known = source.token()
    await verifier.verify(known)
    source.mode = "500"

    async def flood(expected_calls: int, circuit: str) -> None:
        for _ in range(50):
            assert await reason(verifier, random_kid_token(source)) == "kid"  # the cached set answers
        assert (await verifier.verify(known))["sub"] == "user-1"
        assert len(source.calls) == expected_calls
        assert verifier.jwks_state.circuit == circuit

    await flood(2, "closed")  # t=0: the unknown kid's refetch fails (1)
    clock.advance(30)
    await flood(3, "closed")  # t=30: (2)
    clock.advance(30)
    await flood(4, "open")  # t=60: (3) opens the circuit for refetch_interval = 30 s
    clock.advance(29.9)
    await flood(4, "open")
    clock.advance(0.1)
    await flood(5, "open")  # t=90: the half-open trial fails: 60 s
    clock.advance(30)
    await flood(5, "open")  # t=120: the per-kid limit alone would fetch here; the breaker does not
    clock.advance(30)
    await flood(6, "open")  # t=150: trial fails: 120 s, capped at breaker_max_cooldown = 100
    clock.advance(99.9)
    await flood(6, "open")
    clock.advance(0.1)
    await flood(7, "open")  # t=250: trial fails: 100 s again
    assert verifier.jwks_state.consecutive_failures == 6
    clock.advance(100)
    assert verifier.jwks_state.circuit == "half-open"
    source.mode = "up"
    await flood(8, "closed")  # t=350: the trial succeeds and closes the circuit
    assert verifier.jwks_state.consecutive_failures == 0 and len(source.served) == 2
    clock.advance(30)
    await flood(9, "closed")  # back to the per-kid rate limit


async def test_open_breaker_refuses_without_any_network_call(source: JWKSSource, clock: FakeClock) -> None:
    verifier = source.verifier(refetch_interval=30, breaker_threshold=3, breaker_max_cooldown=300)
    source.mode = "timeout"
    for _ in range(3):  # never fetched: each due retry fails, the third opens the circuit
        assert await reason(verifier, source.token()) == "jwks_unavailable"
        clock.advance(30)
    assert len(source.calls) == 3
    clock.advance(-15)  # 15 s into a 30 s cooldown
    for _ in range(100):
        with pytest.raises(JWKSUnavailableError) as refused:
            await verifier.verify(random_kid_token(source))
        assert refused.value.retry_after == 15
    assert len(source.calls) == 3
    source.mode = "up"
    clock.advance(15)
    assert (await verifier.verify(source.token()))["sub"] == "user-1"
    assert len(source.calls) == 4 and verifier.jwks_state.circuit == "closed"


async def test_concurrent_unknown_kids_behind_a_slow_issuer_make_one_fetch(source: JWKSSource) -> None:
    verifier = source.verifier(refetch_interval=30)
    await verifier.verify(source.token())
    source.gate = asyncio.Event()
    tasks = [asyncio.create_task(reason(verifier, random_kid_token(source))) for _ in range(200)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(source.calls) == 2  # one refetch is in flight, the rest wait for it
    source.gate.set()
    assert set(await asyncio.gather(*tasks)) == {"kid"}
    assert len(source.calls) == 2


async def test_concurrent_cold_start_behind_a_slow_issuer_makes_one_fetch(source: JWKSSource) -> None:
    verifier = source.verifier()
    source.gate = asyncio.Event()
    known = source.token()
    tasks = [asyncio.create_task(verifier.verify(known if i % 2 else random_kid_token(source))) for i in range(200)]
    for _ in range(20):
        await asyncio.sleep(0)
    source.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert len(source.calls) == 1
    assert sum(isinstance(r, dict) for r in results) == 100
    assert {r.reason for r in results if isinstance(r, JWTError)} == {"kid"}


async def test_known_kids_do_not_wait_for_a_slow_refresh(source: JWKSSource, clock: FakeClock) -> None:
    verifier = source.verifier(cache_seconds=300)
    token = source.token()
    await verifier.verify(token)
    clock.advance(301)
    source.gate = asyncio.Event()
    refreshing = asyncio.create_task(verifier.verify(token))
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(source.calls) == 2  # the refresh hangs on the issuer...
    others = await asyncio.wait_for(asyncio.gather(*(verifier.verify(token) for _ in range(50))), timeout=5)
    assert len(others) == 50 and not refreshing.done()  # ...and nobody else waits for it
    source.gate.set()
    assert (await refreshing)["sub"] == "user-1"


async def test_circuit_open_and_close_are_logged_once_without_tokens(
    source: JWKSSource, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="fastapi_betterauth.resource")
    verifier = source.verifier(refetch_interval=30, breaker_threshold=3, breaker_max_cooldown=300)
    await verifier.verify(source.token())
    source.mode = "500"
    tokens = []
    for _ in range(40):
        for _ in range(10):
            tokens.append(random_kid_token(source))
            await reason(verifier, tokens[-1])
        clock.advance(45)
    assert len(source.calls) > 10  # many failed fetches...
    messages = [record.getMessage() for record in caplog.records]
    assert sum("circuit open" in m for m in messages) == 1  # ...one circuit-open message
    assert sum(r.levelno >= logging.WARNING for r in caplog.records) == 3  # 2 failures, then the opening
    source.mode = "up"
    clock.advance(300)
    await verifier.verify(source.token())
    messages = [record.getMessage() for record in caplog.records]
    assert sum("circuit closed" in m for m in messages) == 1
    for token in [*tokens, source.token()]:
        assert not any(token in m or token.split(".")[2] in m for m in messages)


def test_configuration_mistakes_are_refused(source: JWKSSource) -> None:
    with pytest.raises(ConfigurationError):
        source.verifier(cache_seconds=600, max_stale=300)
    with pytest.raises(ConfigurationError):
        source.verifier(breaker_threshold=0)


async def test_static_keys_report_a_fresh_state(source: JWKSSource) -> None:
    verifier = JWTVerifier(jwks={"keys": source.keys}, issuer=ISS, audience=ISS)
    assert (await verifier.verify(source.token()))["sub"] == "user-1"
    state = verifier.jwks_state
    assert (state.status, state.age, state.circuit) == ("fresh", None, "closed")


REFETCH, CACHE, MAX_STALE = 10.0, 20.0, 45.0


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=60), st.booleans(), st.booleans()),
        min_size=1,
        max_size=40,
    )
)
def test_fetch_rate_and_staleness_hold_for_any_history(steps: list[tuple[float, bool, bool]]) -> None:
    async def run() -> None:
        clock = FakeClock()
        source = JWKSSource(clock)
        verifier = source.verifier(
            refetch_interval=REFETCH,
            cache_seconds=CACHE,
            max_stale=MAX_STALE,
            breaker_threshold=2,
            breaker_max_cooldown=40,
        )
        known, unknown = source.token(), source.token(kid="forged")
        for advance, up, use_known in steps:
            clock.advance(advance)
            source.mode = "up" if up else "500"
            try:
                await verifier.verify(known if use_known else unknown)
            except JWTError as error:
                assert error.reason in ("kid", "jwks_unavailable")
            else:
                assert source.served and clock.now - source.served[-1] <= MAX_STALE
        for start in source.calls:
            assert sum(start <= t < start + REFETCH for t in source.calls) <= 2

    asyncio.run(run())


@pytest.fixture
async def api(source: JWKSSource) -> AsyncIterator[tuple[httpx.AsyncClient, JWTVerifier]]:
    verifier = source.verifier(refetch_interval=30, max_stale=3600)
    resource = ResourceServer(jwt=verifier)
    app = FastAPI(lifespan=resource.lifespan)

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, Any]:
        return {"id": user.id}

    @app.get("/claims")
    async def claims(claims: dict[str, Any] = require_jwt(verifier)) -> dict[str, Any]:  # noqa: B008
        return {"sub": claims["sub"]}

    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client, verifier


async def test_http_answers_503_jwks_unavailable_then_200_when_recovered(
    api: tuple[httpx.AsyncClient, JWTVerifier], source: JWKSSource, clock: FakeClock
) -> None:
    client, _ = api
    bearer = {"Authorization": f"Bearer {source.token()}"}
    source.mode = "500"
    for path in ("/me", "/claims"):
        down = await client.get(path, headers=bearer)
        assert down.status_code == 503, down.text
        assert down.json() == {
            "message": "The token issuer's signing keys are unavailable. Try again shortly.",
            "code": "JWKS_UNAVAILABLE",
        }
        assert down.headers["retry-after"] == "30"
    source.mode = "up"
    clock.advance(30)
    assert (await client.get("/me", headers=bearer)).json() == {"id": "user-1"}
    assert (await client.get("/claims", headers=bearer)).json() == {"sub": "user-1"}
    source.mode = "timeout"
    clock.advance(3599)  # within max_stale: still served from the last good set
    assert (await client.get("/me", headers=bearer)).status_code == 200
    clock.advance(2)
    assert (await client.get("/me", headers=bearer)).status_code == 503
    forged = await client.get("/me", headers={"Authorization": f"Bearer {random_kid_token(source)}"})
    assert forged.status_code == 503  # no key set to judge it by: not the token's fault
    source.mode = "up"
    clock.advance(30)
    assert (await client.get("/me", headers=bearer)).status_code == 200
    forged = await client.get("/me", headers={"Authorization": f"Bearer {random_kid_token(source)}"})
    assert forged.status_code == 401 and forged.json()["code"] == "INVALID_TOKEN"

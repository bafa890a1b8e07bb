"""``/healthz`` (the process is up) and ``/readyz`` (its database and Redis answer)."""

from __future__ import annotations

import asyncio
from typing import Literal

import msgspec
from litestar import Response, get
from litestar.datastructures import State

from switchboard.db.engine import ping
from switchboard.state import Gateway

__all__ = ["Health", "Readiness", "healthz", "readyz"]

CHECK_TIMEOUT_SECONDS = 2.0


class Health(msgspec.Struct):
    """The process answers."""

    status: Literal["ok"] = "ok"


class Readiness(msgspec.Struct):
    """Whether every dependency answered; ``checks`` has ``ok`` or the reason per dependency."""

    status: Literal["ready", "unavailable"]
    checks: dict[str, str]


@get("/healthz", tags=["health"], summary="Liveness: the process is up", sync_to_thread=False)
def healthz() -> Health:
    """Answers 200 as long as the process serves HTTP; checks nothing else."""
    return Health()


@get(
    "/readyz",
    tags=["health"],
    summary="Readiness: the database and Redis (when configured) answer",
    responses={},
)
async def readyz(state: State) -> Response[Readiness]:
    """Answers 200 when every dependency answers within two seconds, else 503 with reasons."""
    gateway: Gateway = state.gateway
    checks: dict[str, str] = {}
    engine = gateway.engine
    checks["database"] = await _check(ping(engine) if engine is not None else None, "database")
    if gateway.redis is not None:
        checks["redis"] = await _check(gateway.redis.ping(), "redis")
    ready = all(value == "ok" for value in checks.values())
    return Response(
        Readiness(status="ready" if ready else "unavailable", checks=checks),
        status_code=200 if ready else 503,
    )


async def _check(probe: object, what: str) -> str:
    if probe is None:
        return f"{what} not configured"
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)  # type: ignore[arg-type]
    except TimeoutError:
        return f"{what} did not answer within {CHECK_TIMEOUT_SECONDS:.0f}s"
    except Exception as exc:
        # The exception's class and first line say what is wrong without leaking a URL's
        # password (drivers do not echo passwords in their error text).
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        return f"{what} unreachable: {type(exc).__name__}: {first_line}"
    return "ok"

"""Public revocation of leaked tokens: POST /api/v1/credentials/revoke (no authentication).

For secret-scanning programs and anyone who finds a token in public. The answer is 202 whatever
the values were. The request path reads nothing: it checks the list, hashes every value and
hands the digests to a worker that revokes out of band (services/leaks.py), so its work depends
only on the number and format of the values, never on whether one is live. Every answer of this
function (202, 422, 503) leaves no sooner than ANSWER_AFTER after the request began
(`AnswerFloor`, added by functions/credentials/handler.py), which also hides the little that
varies with the number of values. Rate-limited per source IP (a WAF rule on AWS, the local
limiter locally, whose 429 waits for the same floor).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import Field, StrictStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sculptops.domain.leak_batches import MAX_LENGTH, MAX_VALUES
from sculptops.http.deps import ContainerDep
from sculptops.http.origin import OriginDep
from sculptops.http.schemas import ErrorOut, Out, Schema

if TYPE_CHECKING:
    from sculptops.services.leaks import LeakIntake

log = logging.getLogger(__name__)

# The answer's earliest time after the request began. The request path (validate, hash 1,000
# values, queue one batch) takes a few ms; the figures are in tests/bench/revoke_timing.py. An
# answer that is ready only past it is logged (a warning): then its time would vary.
ANSWER_AFTER = 0.25

Value = Annotated[StrictStr, Field(max_length=MAX_LENGTH)]


class CredentialsRevoke(Schema):
    """Values found in public that may be SculptOps tokens (any other string is fine too)."""

    credentials: list[Value] = Field(
        max_length=MAX_VALUES,
        description=f"Up to {MAX_VALUES} values of at most {MAX_LENGTH} characters each",
    )


class Accepted(Out):
    message: str = "Accepted"


def get_intake(c: ContainerDep) -> LeakIntake:
    return c.leak_intake


IntakeDep = Annotated["LeakIntake", Depends(get_intake)]


def revoke_credentials(
    body: CredentialsRevoke, intake: IntakeDep, origin: OriginDep
) -> JSONResponse:
    """Revoke leaked tokens: 202 whatever the values were; the revocation follows within
    seconds, out of band."""
    received = intake.accept(body.credentials, origin)
    log.info("credentials/revoke: %d values received", received)
    return JSONResponse({"message": "Accepted"}, status_code=202)


class AnswerFloor:
    """Holds every answer of the app it wraps until `seconds` after its request began: 202,
    422 (a bad list), 413, 503 (the worker's queue full) alike, so that one timing holds for
    every answer of the route."""

    def __init__(self, app: ASGIApp, seconds: float = ANSWER_AFTER) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        due = time.monotonic() + self.seconds

        async def held(message: Message) -> None:
            if message["type"] == "http.response.start":
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                else:
                    log.warning("credentials/revoke answered %.0f ms late", -wait * 1000)
            await send(message)

        await self.app(scope, receive, held)


def register() -> APIRouter:
    router = APIRouter(tags=["credentials"])
    router.add_api_route(
        "/api/v1/credentials/revoke",
        revoke_credentials,
        methods=["POST"],
        status_code=202,
        response_model=Accepted,
        summary="Revoke Leaked Credentials",
        responses={
            422: {"model": ErrorOut, "description": "Not a list of at most 1,000 strings"},
            429: {"model": ErrorOut, "description": "Too many requests from this source"},
            503: {"model": ErrorOut, "description": "The revocation queue is full: Retry-After"},
        },
    )
    return router


routers = [register()]

"""Dev-only routes of the local stack for the scheduled jobs, served beside the API.

Never part of a deployed stage (serverless.yml has no route for them; on AWS the `notices`
function runs on its schedule):

- `POST /dev/jobs/expiry-notices`: run the daily expiry-notice job now; its counts as JSON;
- `GET /dev/events`: the events the jobs published (the local stack has no EventBridge: its
  publisher, `adapters/event_log.py`, logs them and keeps the latest).
"""

from __future__ import annotations

from dataclasses import asdict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sculptops.domain.expiry_notices import NoticeRun


def routes() -> list[BaseRoute]:
    from sculptops.bootstrap import container

    def run_job() -> NoticeRun:
        return container().expiry_notices.run()

    async def expiry_notices(_: Request) -> Response:
        return JSONResponse(asdict(await run_in_threadpool(run_job)))

    async def events(_: Request) -> Response:
        recent = getattr(container().events, "recent", None)
        return JSONResponse({"events": recent() if callable(recent) else []})

    return [
        Route("/dev/jobs/expiry-notices", expiry_notices, methods=["POST"]),
        Route("/dev/events", events, methods=["GET"]),
    ]

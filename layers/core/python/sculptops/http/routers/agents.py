"""Agents: register (token shown once), list, remove; and the agent protocol."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from sculptops.bootstrap import container
from sculptops.domain.agents import Agent
from sculptops.domain.logs import Level
from sculptops.http.caller import CallerDep
from sculptops.http.routers.catalog import inventory_out, playbook_out
from sculptops.http.routers.executions import execution_out
from sculptops.http.schemas import (
    AgentCreated,
    AgentIn,
    AgentList,
    AgentLogAck,
    AgentLogBatch,
    ClaimOut,
    ExecutionOut,
    FinishIn,
    HeartbeatOut,
)
from sculptops.http.surfaces import SURFACES, Surface, route
from sculptops.services.agents import RawLine

PROTOCOL = {
    409: {"description": "The execution is not running on this agent"},
    404: {"description": "Not in this tenant"},
}


def agent_out(a: Agent) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "created_at": a.created_at,
        "last_seen_at": a.last_seen_at,
        "current_execution": a.current_execution,
    }


def _level(value: str | None) -> Level | None:
    if value is None:
        return None
    try:
        return Level(value)
    except ValueError:
        return Level.INFO


def build_router(surface: Surface) -> APIRouter:
    router = surface.router("agents")
    m = surface.model

    @route(
        router,
        "POST",
        "/agents",
        slash_too=True,
        status_code=201,
        response_model=m(AgentCreated),
        summary="Register Agent",
    )
    def register_agent(caller: CallerDep, body: AgentIn) -> dict[str, Any]:
        """Register an agent for this tenant (admin); its token is in this response only."""
        registered = container().agents.register(caller, body.name)
        return {**agent_out(registered.agent), "token": registered.token}

    @route(
        router, "GET", "/agents", slash_too=True, response_model=m(AgentList), summary="List Agents"
    )
    def list_agents(caller: CallerDep) -> dict[str, Any]:
        """The tenant's agents with when they were last seen and what they run."""
        return {"agents": [agent_out(a) for a in container().agents.list_agents(caller)]}

    @route(
        router,
        "DELETE",
        "/agents/{agent_id}",
        status_code=204,
        response_class=Response,
        responses={404: {"description": "No such agent"}},
        summary="Delete Agent",
    )
    def remove_agent(caller: CallerDep, agent_id: str) -> Response:
        """Remove an agent (admin); its token fails at once."""
        container().agents.remove(caller, agent_id)
        return Response(status_code=204)

    @route(
        router,
        "POST",
        "/agents/claim",
        response_model=m(ClaimOut),
        responses={204: {"description": "Nothing queued"}},
        summary="Claim Next Run",
    )
    def claim(caller: CallerDep) -> Any:
        """Agent protocol: take the oldest queued run of the tenant (204 when there is none)."""
        claimed = container().agents.claim(caller)
        if claimed is None:
            return Response(status_code=204)
        return {
            "execution": execution_out(claimed.execution),
            "playbook": playbook_out(claimed.playbook),
            "inventory": inventory_out(claimed.inventory),
        }

    @route(
        router,
        "POST",
        "/executions/{execution_id}/heartbeat",
        response_model=m(HeartbeatOut),
        responses=PROTOCOL,
        summary="Send Heartbeat",
    )
    def heartbeat(caller: CallerDep, execution_id: str) -> dict[str, Any]:
        """Agent protocol: extend the lease; says whether a cancel was requested."""
        e = container().agents.heartbeat(caller, execution_id)
        return {
            "status": e.status.value,
            "cancel_requested": e.cancel_requested,
            "lease_expires_at": e.lease_expires_at,
        }

    @route(
        router,
        "POST",
        "/executions/{execution_id}/logs",
        response_model=m(AgentLogAck),
        responses=PROTOCOL,
        summary="Append Log Lines",
    )
    def append_logs(caller: CallerDep, execution_id: str, body: AgentLogBatch) -> dict[str, Any]:
        """Agent protocol: a batch of lines from first_seq on; a resent batch is stored once."""
        lines = [RawLine(line=ln.line, level=_level(ln.level), ts=ln.ts) for ln in body.lines]
        next_seq = container().agents.append_logs(caller, execution_id, body.first_seq, lines)
        return {"next_seq": next_seq}

    @route(
        router,
        "POST",
        "/executions/{execution_id}/finish",
        response_model=m(ExecutionOut),
        responses=PROTOCOL,
        summary="Finish Run",
    )
    def finish(caller: CallerDep, execution_id: str, body: FinishIn) -> dict[str, Any]:
        """Agent protocol: report the exit code; the terminal status is written once."""
        return execution_out(container().agents.finish(caller, execution_id, body.exit_code))

    return router


routers = [build_router(s) for s in SURFACES]

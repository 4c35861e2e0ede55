"""Agents: register (token shown once), list, remove; and the agent protocol."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from sculptops.domain.agents import Agent
from sculptops.domain.logs import Level
from sculptops.http.agent_schemas import (
    AgentCreated,
    AgentIn,
    AgentList,
    AgentLogAck,
    AgentLogBatch,
    ClaimOut,
    FinishIn,
    HeartbeatOut,
)
from sculptops.http.deps import AgentsDep, CallerDep
from sculptops.http.routers.catalog import inventory_out, playbook_out
from sculptops.http.routers.executions import execution_out
from sculptops.http.schemas import ExecutionOut
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


def register_agent(caller: CallerDep, agents: AgentsDep, body: AgentIn) -> dict[str, Any]:
    """Register an agent for this tenant (admin); its token is in this response only."""
    registered = agents.register(caller, body.name)
    return {**agent_out(registered.agent), "token": registered.token}


def list_agents(caller: CallerDep, agents: AgentsDep) -> dict[str, Any]:
    """The tenant's agents with when they were last seen and what they run."""
    return {"agents": [agent_out(a) for a in agents.list_agents(caller)]}


def remove_agent(caller: CallerDep, agents: AgentsDep, agent_id: str) -> Response:
    """Remove an agent (admin); its token fails at once."""
    agents.remove(caller, agent_id)
    return Response(status_code=204)


def claim(caller: CallerDep, agents: AgentsDep) -> Any:
    """Agent protocol: take the oldest queued run of the tenant (204 when there is none)."""
    claimed = agents.claim(caller)
    if claimed is None:
        return Response(status_code=204)
    return {
        "execution": execution_out(claimed.execution),
        "playbook": playbook_out(claimed.playbook),
        "inventory": inventory_out(claimed.inventory),
    }


def heartbeat(caller: CallerDep, agents: AgentsDep, execution_id: str) -> dict[str, Any]:
    """Agent protocol: extend the lease; says whether a cancel was requested."""
    e = agents.heartbeat(caller, execution_id)
    return {
        "status": e.status.value,
        "cancel_requested": e.cancel_requested,
        "lease_expires_at": e.lease_expires_at,
    }


def append_logs(
    caller: CallerDep, agents: AgentsDep, execution_id: str, body: AgentLogBatch
) -> dict[str, Any]:
    """Agent protocol: a batch of lines from first_seq on; a resent batch is stored once."""
    lines = [RawLine(line=ln.line, level=_level(ln.level), ts=ln.ts) for ln in body.lines]
    return {"next_seq": agents.append_logs(caller, execution_id, body.first_seq, lines)}


def finish(
    caller: CallerDep, agents: AgentsDep, execution_id: str, body: FinishIn
) -> dict[str, Any]:
    """Agent protocol: report the exit code; the terminal status is written once."""
    return execution_out(agents.finish(caller, execution_id, body.exit_code))


def register(surface: Surface) -> APIRouter:
    """The agent routes of one surface: management, then the agent protocol."""
    router = surface.router("agents")
    m = surface.model
    route(
        router,
        "POST",
        "/agents",
        slash_too=True,
        status_code=201,
        response_model=m(AgentCreated),
        summary="Register Agent",
    )(register_agent)
    route(
        router, "GET", "/agents", slash_too=True, response_model=m(AgentList), summary="List Agents"
    )(list_agents)
    route(
        router,
        "DELETE",
        "/agents/{agent_id}",
        status_code=204,
        response_class=Response,
        responses={404: {"description": "No such agent"}},
        summary="Delete Agent",
    )(remove_agent)
    route(
        router,
        "POST",
        "/agents/claim",
        response_model=m(ClaimOut),
        responses={204: {"description": "Nothing queued"}},
        summary="Claim Next Run",
    )(claim)
    route(
        router,
        "POST",
        "/executions/{execution_id}/heartbeat",
        response_model=m(HeartbeatOut),
        responses=PROTOCOL,
        summary="Send Heartbeat",
    )(heartbeat)
    route(
        router,
        "POST",
        "/executions/{execution_id}/logs",
        response_model=m(AgentLogAck),
        responses=PROTOCOL,
        summary="Append Log Lines",
    )(append_logs)
    route(
        router,
        "POST",
        "/executions/{execution_id}/finish",
        response_model=m(ExecutionOut),
        responses=PROTOCOL,
        summary="Finish Run",
    )(finish)
    return router


routers = [register(s) for s in SURFACES]

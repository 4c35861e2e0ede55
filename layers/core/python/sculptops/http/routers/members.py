"""Members of a tenant: list (viewer+), add by email, change role, remove (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from sculptops.domain.governance import Member
from sculptops.http.deps import CallerDep, MembershipDep
from sculptops.http.governance_schemas import MemberIn, MemberList, MemberOut, RoleIn
from sculptops.http.surfaces import SURFACES, Surface, route

# A user id: an email address or an identity provider's subject, printable ASCII.
UserId = Annotated[str, Path(min_length=1, max_length=254, pattern=r"^[!-~]+$")]
CONFLICT = {409: {"description": "Already a member, the last admin, or a concurrent change"}}


def member_out(m: Member) -> dict[str, Any]:
    return {
        "user_id": m.user_id,
        "email": m.email,
        "name": m.name,
        "role": m.role,
        "joined": m.joined_at,
    }


def list_members(caller: CallerDep, membership: MembershipDep) -> dict[str, Any]:
    """Who is in this tenant, with which role."""
    return {"members": [member_out(m) for m in membership.members(caller)]}


def add_member(caller: CallerDep, membership: MembershipDep, body: MemberIn) -> dict[str, Any]:
    """Add a person by email (a user record is made if they never signed in)."""
    return member_out(membership.add_member(caller, body.email, body.role))


def set_member_role(
    caller: CallerDep, membership: MembershipDep, user_id: UserId, body: RoleIn
) -> dict[str, Any]:
    """Change a member's role: in force on their very next request."""
    return member_out(membership.set_role(caller, user_id, body.role))


def remove_member(caller: CallerDep, membership: MembershipDep, user_id: UserId) -> Response:
    """Remove a member: their credentials are refused here from their next request on."""
    membership.remove_member(caller, user_id)
    return Response(status_code=204)


def register(surface: Surface) -> APIRouter:
    router = surface.router("members")
    m = surface.model
    route(
        router,
        "GET",
        "/members",
        slash_too=True,
        response_model=m(MemberList),
        summary="List Members",
    )(list_members)
    route(
        router,
        "POST",
        "/members",
        slash_too=True,
        status_code=201,
        response_model=m(MemberOut),
        summary="Add Member",
        responses=CONFLICT,
    )(add_member)
    route(
        router,
        "PATCH",
        "/members/{user_id}",
        response_model=m(MemberOut),
        summary="Change Member Role",
        responses=CONFLICT,
    )(set_member_role)
    route(
        router,
        "DELETE",
        "/members/{user_id}",
        status_code=204,
        response_class=Response,
        summary="Remove Member",
        responses=CONFLICT,
    )(remove_member)
    return router


routers = [register(s) for s in SURFACES]

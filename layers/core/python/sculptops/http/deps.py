"""FastAPI dependencies: the caller and the services a route needs, as `Annotated` types.

Routes declare what they use (`tokens: TokensDep`) instead of reaching into the container, so
that a test can override one dependency (`app.dependency_overrides[get_container]`) and a reader
sees a route's needs in its signature (full-stack-fastapi-template's `deps.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from sculptops.bootstrap import Container, container
from sculptops.http.caller import CallerDep
from sculptops.http.surfaces import Surface, surface_of

if TYPE_CHECKING:
    from sculptops.services.agents import AgentService
    from sculptops.services.auth import Authenticator
    from sculptops.services.catalog import CatalogService
    from sculptops.services.executions import ExecutionService
    from sculptops.services.idempotency import IdempotencyService
    from sculptops.services.identity import IdentityService
    from sculptops.services.tokens import TokenService

__all__ = [
    "AdminTokensDep",
    "AgentsDep",
    "AuditDep",
    "AuthenticatorDep",
    "CallerDep",
    "CatalogDep",
    "ContainerDep",
    "ExecutionsDep",
    "IdempotencyDep",
    "IdentityDep",
    "MembershipDep",
    "NotificationsDep",
    "SurfaceDep",
    "TokenPolicyDep",
    "TokensDep",
    "get_container",
]


def get_container() -> Container:
    """The process-wide container (built once per Lambda container, on first use)."""
    return container()


ContainerDep = Annotated[Container, Depends(get_container)]


def get_tokens(c: ContainerDep) -> TokenService:
    return c.tokens


def get_identity(c: ContainerDep) -> IdentityService:
    return c.identity


def get_catalog(c: ContainerDep) -> CatalogService:
    return c.catalog


def get_executions(c: ContainerDep) -> ExecutionService:
    return c.executions


def get_agents(c: ContainerDep) -> AgentService:
    return c.agents


def get_idempotency(c: ContainerDep) -> IdempotencyService:
    return c.idempotency


def get_authenticator(c: ContainerDep) -> Authenticator:
    return c.authenticator


def get_surface(request: Request) -> Surface:
    """The surface (canonical or compatibility) of the route that matched this request."""
    return surface_of(request.scope.get("route"))


TokensDep = Annotated["TokenService", Depends(get_tokens)]
IdentityDep = Annotated["IdentityService", Depends(get_identity)]
CatalogDep = Annotated["CatalogService", Depends(get_catalog)]
ExecutionsDep = Annotated["ExecutionService", Depends(get_executions)]
AgentsDep = Annotated["AgentService", Depends(get_agents)]
IdempotencyDep = Annotated["IdempotencyService", Depends(get_idempotency)]
AuthenticatorDep = Annotated["Authenticator", Depends(get_authenticator)]
SurfaceDep = Annotated[Surface, Depends(get_surface)]


# ---- governance (issue 13) ----

if TYPE_CHECKING:
    from sculptops.services.admin_tokens import AdminTokenService
    from sculptops.services.audit import AuditService
    from sculptops.services.members import MemberService
    from sculptops.services.notifications import NotificationService
    from sculptops.services.token_policy import TokenPolicyService


def get_membership(c: ContainerDep) -> MemberService:
    return c.membership


def get_token_policy(c: ContainerDep) -> TokenPolicyService:
    return c.token_policy


def get_admin_tokens(c: ContainerDep) -> AdminTokenService:
    return c.admin_tokens


def get_audit(c: ContainerDep) -> AuditService:
    return c.audit


def get_notifications(c: ContainerDep) -> NotificationService:
    return c.notifications


MembershipDep = Annotated["MemberService", Depends(get_membership)]
TokenPolicyDep = Annotated["TokenPolicyService", Depends(get_token_policy)]
AdminTokensDep = Annotated["AdminTokenService", Depends(get_admin_tokens)]
AuditDep = Annotated["AuditService", Depends(get_audit)]
NotificationsDep = Annotated["NotificationService", Depends(get_notifications)]

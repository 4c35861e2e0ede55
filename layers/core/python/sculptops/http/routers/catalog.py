"""Playbooks and inventories: admins write, every role reads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from sculptops.domain.catalog import Host, Inventory, Playbook
from sculptops.http.deps import CallerDep, CatalogDep
from sculptops.http.schemas import (
    InventoryIn,
    InventoryList,
    InventoryOut,
    PlaybookIn,
    PlaybookList,
    PlaybookOut,
)
from sculptops.http.surfaces import SURFACES, Surface, route

NOT_FOUND = {404: {"description": "Not in this tenant"}}


def playbook_out(p: Playbook) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "content": p.content,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def inventory_out(i: Inventory) -> dict[str, Any]:
    return {
        "id": i.id,
        "name": i.name,
        "hosts": [{"name": h.name, "vars": h.vars} for h in i.hosts],
        "vars": i.vars,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
    }


def _hosts(body: InventoryIn) -> list[Host]:
    return [Host(name=h.name, vars=h.vars) for h in body.hosts]


def list_playbooks(caller: CallerDep, catalog: CatalogDep) -> dict[str, Any]:
    """Every playbook of the tenant: id, name, last update."""
    items = catalog.list_playbooks(caller)
    return {"playbooks": [{"id": p.id, "name": p.name, "updated_at": p.updated_at} for p in items]}


def create_playbook(caller: CallerDep, catalog: CatalogDep, body: PlaybookIn) -> dict[str, Any]:
    """Add a playbook (admin); its YAML must be a list of plays, each with `hosts`."""
    return playbook_out(catalog.create_playbook(caller, body.name, body.content))


def get_playbook(caller: CallerDep, catalog: CatalogDep, playbook_id: str) -> dict[str, Any]:
    """One playbook with its content."""
    return playbook_out(catalog.get_playbook(caller, playbook_id))


def replace_playbook(
    caller: CallerDep, catalog: CatalogDep, playbook_id: str, body: PlaybookIn
) -> dict[str, Any]:
    """Replace a playbook's name and content (admin)."""
    return playbook_out(catalog.replace_playbook(caller, playbook_id, body.name, body.content))


def delete_playbook(caller: CallerDep, catalog: CatalogDep, playbook_id: str) -> Response:
    """Delete a playbook (admin)."""
    catalog.delete_playbook(caller, playbook_id)
    return Response(status_code=204)


def list_inventories(caller: CallerDep, catalog: CatalogDep) -> dict[str, Any]:
    """Every inventory of the tenant: id, name, number of hosts."""
    items = catalog.list_inventories(caller)
    return {
        "inventories": [
            {"id": i.id, "name": i.name, "hosts": len(i.hosts), "updated_at": i.updated_at}
            for i in items
        ]
    }


def create_inventory(caller: CallerDep, catalog: CatalogDep, body: InventoryIn) -> dict[str, Any]:
    """Add an inventory (admin): hosts with their vars, and group vars."""
    return inventory_out(catalog.create_inventory(caller, body.name, _hosts(body), body.vars))


def get_inventory(caller: CallerDep, catalog: CatalogDep, inventory_id: str) -> dict[str, Any]:
    """One inventory with its hosts and vars."""
    return inventory_out(catalog.get_inventory(caller, inventory_id))


def replace_inventory(
    caller: CallerDep, catalog: CatalogDep, inventory_id: str, body: InventoryIn
) -> dict[str, Any]:
    """Replace an inventory (admin)."""
    return inventory_out(
        catalog.replace_inventory(caller, inventory_id, body.name, _hosts(body), body.vars)
    )


def delete_inventory(caller: CallerDep, catalog: CatalogDep, inventory_id: str) -> Response:
    """Delete an inventory (admin)."""
    catalog.delete_inventory(caller, inventory_id)
    return Response(status_code=204)


def register(surface: Surface) -> APIRouter:
    """The catalog routes of one surface: playbooks, then inventories."""
    router = surface.router("catalog")
    m = surface.model
    route(
        router,
        "GET",
        "/playbooks",
        slash_too=True,
        response_model=m(PlaybookList),
        summary="List Playbooks",
    )(list_playbooks)
    route(
        router,
        "POST",
        "/playbooks",
        slash_too=True,
        status_code=201,
        response_model=m(PlaybookOut),
        summary="Create Playbook",
    )(create_playbook)
    route(
        router,
        "GET",
        "/playbooks/{playbook_id}",
        response_model=m(PlaybookOut),
        responses=NOT_FOUND,
        summary="Get Playbook",
    )(get_playbook)
    route(
        router,
        "PUT",
        "/playbooks/{playbook_id}",
        response_model=m(PlaybookOut),
        responses=NOT_FOUND,
        summary="Update Playbook",
    )(replace_playbook)
    route(
        router,
        "DELETE",
        "/playbooks/{playbook_id}",
        status_code=204,
        response_class=Response,
        responses=NOT_FOUND,
        summary="Delete Playbook",
    )(delete_playbook)
    route(
        router,
        "GET",
        "/inventories",
        slash_too=True,
        response_model=m(InventoryList),
        summary="List Inventories",
    )(list_inventories)
    route(
        router,
        "POST",
        "/inventories",
        slash_too=True,
        status_code=201,
        response_model=m(InventoryOut),
        summary="Create Inventory",
    )(create_inventory)
    route(
        router,
        "GET",
        "/inventories/{inventory_id}",
        response_model=m(InventoryOut),
        responses=NOT_FOUND,
        summary="Get Inventory",
    )(get_inventory)
    route(
        router,
        "PUT",
        "/inventories/{inventory_id}",
        response_model=m(InventoryOut),
        responses=NOT_FOUND,
        summary="Update Inventory",
    )(replace_inventory)
    route(
        router,
        "DELETE",
        "/inventories/{inventory_id}",
        status_code=204,
        response_class=Response,
        responses=NOT_FOUND,
        summary="Delete Inventory",
    )(delete_inventory)
    return router


routers = [register(s) for s in SURFACES]

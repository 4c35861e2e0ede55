"""Playbooks and inventories: admins write, every role reads, always inside one tenant."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sculptops.domain import ids
from sculptops.domain.catalog import (
    Host,
    Inventory,
    Playbook,
    validate_hosts,
    validate_name,
    validate_playbook,
    validate_vars,
)
from sculptops.domain.errors import NotFound
from sculptops.domain.identity import Caller
from sculptops.domain.roles import Role
from sculptops.ports import CatalogStore, Clock


def _tenant(caller: Caller) -> str:
    caller.require(Role.VIEWER)
    assert caller.tenant is not None
    return caller.tenant


class CatalogService:
    def __init__(self, *, catalog: CatalogStore, clock: Clock) -> None:
        self._store = catalog
        self._clock = clock

    # ---- playbooks ----

    def create_playbook(self, caller: Caller, name: str, content: str) -> Playbook:
        """Add a playbook after checking it parses as a list of plays with hosts."""
        caller.require(Role.ADMIN)
        tenant = _tenant(caller)
        clean = validate_name(name)
        validate_playbook(content)
        now = self._clock.now()
        playbook = Playbook(
            id=ids.sortable_id("pb", int(now.timestamp() * 1000)),
            tenant=tenant,
            name=clean,
            content=content,
            created_at=now,
            updated_at=now,
        )
        self._store.put_playbook(playbook)
        return playbook

    def replace_playbook(
        self, caller: Caller, playbook_id: str, name: str, content: str
    ) -> Playbook:
        """Replace a playbook's name and content."""
        caller.require(Role.ADMIN)
        current = self.get_playbook(caller, playbook_id)
        validate_playbook(content)
        updated = replace(
            current, name=validate_name(name), content=content, updated_at=self._clock.now()
        )
        self._store.put_playbook(updated)
        return updated

    def get_playbook(self, caller: Caller, playbook_id: str) -> Playbook:
        playbook = self._store.get_playbook(_tenant(caller), playbook_id)
        if playbook is None:
            raise NotFound(f"playbook {playbook_id} not found")
        return playbook

    def list_playbooks(self, caller: Caller) -> list[Playbook]:
        return sorted(self._store.list_playbooks(_tenant(caller)), key=lambda p: p.name)

    def delete_playbook(self, caller: Caller, playbook_id: str) -> None:
        caller.require(Role.ADMIN)
        if not self._store.delete_playbook(_tenant(caller), playbook_id):
            raise NotFound(f"playbook {playbook_id} not found")

    # ---- inventories ----

    def create_inventory(
        self, caller: Caller, name: str, hosts: list[Host], variables: dict[str, Any]
    ) -> Inventory:
        """Add an inventory: hosts by name or address, host vars and group vars."""
        caller.require(Role.ADMIN)
        tenant = _tenant(caller)
        now = self._clock.now()
        inventory = Inventory(
            id=ids.sortable_id("inv", int(now.timestamp() * 1000)),
            tenant=tenant,
            name=validate_name(name),
            hosts=validate_hosts(hosts),
            vars=validate_vars(variables, "vars"),
            created_at=now,
            updated_at=now,
        )
        self._store.put_inventory(inventory)
        return inventory

    def replace_inventory(
        self,
        caller: Caller,
        inventory_id: str,
        name: str,
        hosts: list[Host],
        variables: dict[str, Any],
    ) -> Inventory:
        caller.require(Role.ADMIN)
        current = self.get_inventory(caller, inventory_id)
        updated = replace(
            current,
            name=validate_name(name),
            hosts=validate_hosts(hosts),
            vars=validate_vars(variables, "vars"),
            updated_at=self._clock.now(),
        )
        self._store.put_inventory(updated)
        return updated

    def get_inventory(self, caller: Caller, inventory_id: str) -> Inventory:
        inventory = self._store.get_inventory(_tenant(caller), inventory_id)
        if inventory is None:
            raise NotFound(f"inventory {inventory_id} not found")
        return inventory

    def list_inventories(self, caller: Caller) -> list[Inventory]:
        return sorted(self._store.list_inventories(_tenant(caller)), key=lambda i: i.name)

    def delete_inventory(self, caller: Caller, inventory_id: str) -> None:
        caller.require(Role.ADMIN)
        if not self._store.delete_inventory(_tenant(caller), inventory_id):
            raise NotFound(f"inventory {inventory_id} not found")

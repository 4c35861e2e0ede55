"""CatalogStore on DynamoDB: playbooks and inventories partitioned by tenant."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError

from sculptops.adapters.dynamodb import readback as rb
from sculptops.adapters.dynamodb.errors import is_conditional_failure, translated
from sculptops.domain.catalog import Host, Inventory, Playbook

PB = "PB#"
INV = "INV#"
UNREADABLE_NAME = "[unreadable]"


def _vars(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("vars is not an object")
    return value


class DynamoCatalogStore:
    def __init__(self, model: Any) -> None:
        self._m = model

    def _get(self, tenant: str, sk: str) -> Any | None:
        with translated():
            try:
                return self._m.get(tenant, sk, consistent_read=True)
            except self._m.DoesNotExist:
                return None

    def _delete(self, tenant: str, sk: str) -> bool:
        with translated():
            try:
                self._m(tenant, sk).delete(condition=self._m.sk.exists())
            except DeleteError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def _query(self, tenant: str, prefix: str) -> list[Any]:
        with translated():
            return list(self._m.query(tenant, self._m.sk.startswith(prefix)))

    @staticmethod
    def _playbook(item: Any) -> Playbook:
        """The stored playbook; a readable=False stand-in when it cannot be read whole."""
        readable = not item.broken and all(
            isinstance(getattr(item, n, None), str) for n in ("id", "name", "content")
        )
        if not readable:
            rb.unreadable("playbook")
        return Playbook(
            id=rb.text(item.id or item.sk.removeprefix(PB)),
            tenant=rb.text(item.tenant),
            name=rb.text(item.name) if readable else UNREADABLE_NAME,
            content=rb.text(item.content) if readable else "",
            created_at=rb.when(item.created_at),
            updated_at=rb.when(item.updated_at),
            readable=readable and isinstance(item.created_at, datetime),
        )

    @staticmethod
    def _inventory(item: Any) -> Inventory:
        """The stored inventory; a readable=False stand-in when it cannot be read whole."""
        try:
            if item.broken or not isinstance(item.name, str):
                raise ValueError("unreadable attributes")
            hosts = [
                Host(name=rb.text(h["name"]), vars=_vars(h.get("vars") or {}))
                for h in rb.load_json(item.hosts, [])
            ]
            group_vars = _vars(rb.load_json(item.vars, {}))
            name, readable = rb.text(item.name), isinstance(item.created_at, datetime)
        except rb.CONVERSION_ERRORS as exc:
            rb.unreadable("inventory", exc)
            hosts, group_vars, name, readable = [], {}, UNREADABLE_NAME, False
        return Inventory(
            id=rb.text(item.id or item.sk.removeprefix(INV)),
            tenant=rb.text(item.tenant),
            name=name,
            hosts=hosts,
            vars=group_vars,
            created_at=rb.when(item.created_at),
            updated_at=rb.when(item.updated_at),
            readable=readable,
        )

    def put_playbook(self, playbook: Playbook) -> None:
        item = self._m(
            playbook.tenant,
            PB + playbook.id,
            id=playbook.id,
            name=playbook.name,
            content=playbook.content,
            created_at=playbook.created_at,
            updated_at=playbook.updated_at,
        )
        with translated():
            item.save()

    def get_playbook(self, tenant: str, playbook_id: str) -> Playbook | None:
        item = self._get(tenant, PB + playbook_id)
        return self._playbook(item) if item else None

    def list_playbooks(self, tenant: str) -> list[Playbook]:
        return [self._playbook(i) for i in self._query(tenant, PB)]

    def delete_playbook(self, tenant: str, playbook_id: str) -> bool:
        return self._delete(tenant, PB + playbook_id)

    def put_inventory(self, inventory: Inventory) -> None:
        item = self._m(
            inventory.tenant,
            INV + inventory.id,
            id=inventory.id,
            name=inventory.name,
            hosts=json.dumps([{"name": h.name, "vars": h.vars} for h in inventory.hosts]),
            vars=json.dumps(inventory.vars),
            created_at=inventory.created_at,
            updated_at=inventory.updated_at,
        )
        with translated():
            item.save()

    def get_inventory(self, tenant: str, inventory_id: str) -> Inventory | None:
        item = self._get(tenant, INV + inventory_id)
        return self._inventory(item) if item else None

    def list_inventories(self, tenant: str) -> list[Inventory]:
        return [self._inventory(i) for i in self._query(tenant, INV)]

    def delete_inventory(self, tenant: str, inventory_id: str) -> bool:
        return self._delete(tenant, INV + inventory_id)

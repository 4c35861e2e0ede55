"""Moves of stored items when a key changes, run once by an operator against a stage's tables
(`sculptops migrate user-keys`). Idempotent and resumable: run it again until it reports
nothing left.

User keys: user items were keyed `USER#<user id>` until personal tokens carried their owner's
key; they are keyed `USER#<owner key>` (auth_items.user_pk) since, with the id in `user_id`.
Each old item moves in one transaction: the new item is put only if that key is free, and the
old one deleted only if it is still exactly as read, so a change made meanwhile (a role, a
revoke-all) is never lost: the item is reported and moved on the next run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sculptops.adapters.dynamodb.auth_items import USER_SK, Item, user_pk

OLD_PREFIX = "USER#"


@dataclass
class MoveReport:
    moved: list[str] = field(default_factory=list)  # user ids
    # The new key holds an item already (the user signed in or was added again since the
    # deploy): the old item stays for an operator to compare, and is not used.
    taken: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # written meanwhile: run again

    @property
    def left(self) -> int:
        return len(self.taken) + len(self.changed)


def old_user_items(client: Any, table: str) -> Iterator[Item]:
    """User items without `user_id`: written under the old key (a Scan, strongly consistent)."""
    start: dict[str, Any] | None = None
    while True:
        page = client.scan(
            TableName=table,
            ConsistentRead=True,
            FilterExpression="#sk = :user AND begins_with(#pk, :prefix) "
            "AND attribute_not_exists(#uid)",
            ExpressionAttributeNames={"#sk": "sk", "#pk": "pk", "#uid": "user_id"},
            ExpressionAttributeValues={":user": {"S": USER_SK}, ":prefix": {"S": OLD_PREFIX}},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        yield from page.get("Items") or []
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def _unchanged(item: Item) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A condition that holds only while the item has exactly these attributes."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    parts = []
    for i, (name, value) in enumerate(sorted(item.items())):
        names[f"#a{i}"] = name
        if name in ("pk", "sk"):
            parts.append(f"attribute_exists(#a{i})")
            continue
        values[f":v{i}"] = value
        parts.append(f"#a{i} = :v{i}")
    return " AND ".join(parts), names, values


def move_user_items(client: Any, table: str, *, dry_run: bool = False) -> MoveReport:
    """Move every old-keyed user item to its owner key (see the module docstring)."""
    report = MoveReport()
    for item in old_user_items(client, table):
        user_id = item["pk"]["S"][len(OLD_PREFIX) :]
        new_pk = user_pk(user_id)
        if dry_run:
            report.moved.append(user_id)
            continue
        condition, names, values = _unchanged(item)
        moved = {**item, "pk": {"S": new_pk}, "user_id": {"S": user_id}}
        transaction: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": table,
                    "Item": moved,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Delete": {
                    "TableName": table,
                    "Key": {"pk": item["pk"], "sk": item["sk"]},
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": names,
                    **({"ExpressionAttributeValues": values} if values else {}),
                }
            },
        ]
        try:
            client.transact_write_items(TransactItems=transaction)
        except client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                report.taken.append(user_id)
            elif len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                report.changed.append(user_id)
            else:
                raise
            continue
        report.moved.append(user_id)
    return report

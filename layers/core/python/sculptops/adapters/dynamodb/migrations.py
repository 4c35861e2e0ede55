"""Moves of stored items when a key changes, run by an operator against a stage's tables
(`sculptops migrate user-keys`). Idempotent and resumable: run it again until it reports
nothing left.

User keys: a user's item is keyed `USER#<owner key>` (auth_items.user_pk), the owner key keyed
with the pepper. Items written before personal tokens carried it are keyed `USER#<user id>`
(no `user_id` attribute); a change of pepper changes every owner key. Either way, each item not
under the key the current pepper gives it moves there, in one transaction:
- the key is free: the item is put there, and the old one deleted only if it is still exactly
  as read (every attribute it had, and none it had not), so a change made meanwhile (a role, a
  first revoke-all) is never lost: the item is reported and moved on the next run;
- the key holds an item already (the user signed in, or was added to a tenant, on a stage whose
  users had not moved yet): the two are merged (memberships of both, the new item's role where
  both have one; the later revoke-all watermark; the new item's name, email and active tenant,
  else the old one's), both conditioned on being as read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sculptops.adapters.dynamodb.auth_items import USER_SK, Item, user_pk
from sculptops.domain.token_format import TokenHasher

PREFIX = "USER#"
# Every attribute a user item may have (adapters.dynamodb.identity, members, token_ledger):
# an attribute absent when read must still be absent when the item is moved.
USER_ATTRIBUTES = (
    "email",
    "name",
    "memberships",
    "active_tenant",
    "tokens_revoked_before",
    "user_id",
)


@dataclass
class MoveReport:
    moved: list[str] = field(default_factory=list)  # user ids
    merged: list[str] = field(default_factory=list)  # moved onto an item under the new key
    changed: list[str] = field(default_factory=list)  # written meanwhile: run again
    # Keyed under another pepper, not moved: a change of pepper (`pepper_changed`), or the
    # pepper given is not the stage's, which would move every user out of its functions' reach.
    other_pepper: list[str] = field(default_factory=list)
    # The new key holds another user's item (only with a chosen id and the pepper): left alone
    # for an operator, never merged.
    conflicts: list[str] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)  # keys with no user id: left alone

    @property
    def left(self) -> int:
        return len(self.changed) + len(self.other_pepper) + len(self.conflicts)


def user_items(client: Any, table: str) -> Iterator[Item]:
    """Every user item (a Scan, strongly consistent): sort key USER under a USER# key."""
    start: dict[str, Any] | None = None
    while True:
        page = client.scan(
            TableName=table,
            ConsistentRead=True,
            FilterExpression="#sk = :user AND begins_with(#pk, :prefix)",
            ExpressionAttributeNames={"#sk": "sk", "#pk": "pk"},
            ExpressionAttributeValues={":user": {"S": USER_SK}, ":prefix": {"S": PREFIX}},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        yield from page.get("Items") or []
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def user_id_of(item: Item) -> str:
    """The item's user id: its `user_id`, or (written before it was kept) its key's rest."""
    if "user_id" in item:
        return str(item["user_id"].get("S") or "")
    return str(item["pk"]["S"])[len(PREFIX) :]


def _as_read(item: Item) -> dict[str, Any]:
    """A condition that holds only while the item is exactly as read."""
    names: dict[str, str] = {"#pk": "pk"}
    values: dict[str, Any] = {}
    parts = ["attribute_exists(#pk)"]
    attributes = sorted(set(item) - {"pk", "sk"} | set(USER_ATTRIBUTES))
    for i, name in enumerate(attributes):
        names[f"#a{i}"] = name
        if name in item:
            values[f":v{i}"] = item[name]
            parts.append(f"#a{i} = :v{i}")
        else:
            parts.append(f"attribute_not_exists(#a{i})")
    condition: dict[str, Any] = {
        "ConditionExpression": " AND ".join(parts),
        "ExpressionAttributeNames": names,
    }
    if values:
        condition["ExpressionAttributeValues"] = values
    return condition


def merged(old: Item, new: Item) -> Item:
    """One user item from the old-keyed one and the one already under the new key."""
    out = {**old, **new}
    for name in ("email", "name", "active_tenant"):  # an empty value does not replace one
        if not new.get(name, {}).get("S") and old.get(name, {}).get("S"):
            out[name] = old[name]
    roles = {**old.get("memberships", {}).get("M", {}), **new.get("memberships", {}).get("M", {})}
    out["memberships"] = {"M": roles}
    watermarks = [
        i["tokens_revoked_before"]["S"]
        for i in (old, new)
        if "S" in i.get("tokens_revoked_before", {})
    ]
    if watermarks:  # same fixed-width UTC format: the later sorts last
        out["tokens_revoked_before"] = {"S": max(watermarks)}
    return out


def move_user_items(
    client: Any,
    table: str,
    keys: TokenHasher,
    *,
    dry_run: bool = False,
    pepper_changed: bool = False,
) -> MoveReport:
    """Move every user item to the key `keys` gives it (see the module docstring). Items keyed
    under another pepper move only with `pepper_changed`."""
    report = MoveReport()
    for item in user_items(client, table):
        user_id = user_id_of(item)
        if not user_id:
            report.unusable.append(item["pk"]["S"])
            continue
        new_pk = user_pk(keys, user_id)
        if item["pk"]["S"] == new_pk:
            continue
        if "user_id" in item and not pepper_changed:
            report.other_pepper.append(user_id)
            continue
        new_key = {"pk": {"S": new_pk}, "sk": {"S": USER_SK}}
        there = client.get_item(TableName=table, Key=new_key, ConsistentRead=True).get("Item")
        if there is not None and user_id_of(there) != user_id:
            report.conflicts.append(user_id)  # another user's item, whatever its form
            continue
        if dry_run:
            (report.merged if there else report.moved).append(user_id)
            continue
        put: dict[str, Any]
        if there is None:
            put = {"Item": {**item, **new_key, "user_id": {"S": user_id}}}
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put = {"Item": {**merged(item, there), **new_key, "user_id": {"S": user_id}}}
            put.update(_as_read(there))
        delete = {"Key": {"pk": item["pk"], "sk": item["sk"]}, **_as_read(item)}
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table, **put}},
                    {"Delete": {"TableName": table, **delete}},
                ]
            )
        except client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if "ConditionalCheckFailed" not in reasons:
                raise
            report.changed.append(user_id)  # either side written meanwhile: next run
            continue
        (report.merged if there else report.moved).append(user_id)
    return report

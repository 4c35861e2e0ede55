"""The authorizer's DynamoDB access on botocore's client directly (no pynamodb on its path).

What every authorization does is here, item for item as the pynamodb models store it:
- the token by digest, its owner by the owner key the value carries and the request's tenant in
  **one BatchGetItem** across both tables (`token_owner_tenant`), strongly consistent, by primary
  key;
- the owner's user item by key (GetItem), strongly consistent, for a value without an owner key
  (made before values carried it) and for a JWT's subject;
- the last use, at most once a minute per token (one conditional UpdateItem);
- a stream ticket's token by owner and id on the `by_owner` index (then read again by digest).

Anything rarer (reuse detection's revocations, which write with their audit events) goes to the
pynamodb stores, built on first use: the authorizer's cold start imports no pynamodb.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sculptops.adapters.dynamodb.auth_items import (
    TENANT_SK,
    USER_SK,
    Item,
    serialize_datetime,
    stored_token,
    tenant_key,
    tenant_of,
    user_key,
    user_of,
    user_pk_of_key,
)
from sculptops.adapters.dynamodb.codes import CONDITIONAL_FAILURE, RETRYABLE
from sculptops.domain.errors import Unavailable
from sculptops.domain.identity import Tenant, User
from sculptops.domain.token_format import TokenHasher
from sculptops.domain.tokens import StoredToken
from sculptops.settings import Settings

log = logging.getLogger(__name__)

BATCH_ATTEMPTS = 3  # a BatchGetItem's unprocessed keys (throttling) are asked for again, twice


def _list_only_dynamodb(loader: Any) -> None:
    """Creating a client lists every service botocore knows (400+ directories, thousands of
    stats: a fifth of the authorizer's init) only to check that `dynamodb` is one. This loader
    answers that question about DynamoDB alone, from the same search paths and files; anything
    unexpected falls back to botocore's own listing."""
    import os

    original = loader.list_available_services

    def listed(type_name: str) -> list[str]:
        try:
            for base in loader.search_paths:
                service = os.path.join(base, "dynamodb")
                if os.path.isdir(service):
                    for version in os.listdir(service):
                        if loader.file_loader.exists(os.path.join(service, version, type_name)):
                            return ["dynamodb"]
        except Exception:  # noqa: S110 - botocore's listing decides then
            pass
        result: list[str] = original(type_name)
        return result

    loader.list_available_services = listed


def _owner(item: Item) -> User | None:
    """A user item read by owner key: its id is its `user_id` attribute (none: not a user this
    code wrote, refused as no user)."""
    user_id = item.get("user_id", {}).get("S")
    return user_of(user_id, item) if user_id else None


def _code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    return str(response.get("Error", {}).get("Code") or "") or None


@contextmanager
def _translated() -> Iterator[None]:
    """Every failure of a read is Unavailable (503, AUTHORIZER_FAILURE), never a 401: throttling,
    server errors, an unreachable endpoint, and a refusal that is the deployment's fault
    (a missing IAM grant, a missing table). Only a conditional write's failure is raised as is."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = _code(exc)
        if code == CONDITIONAL_FAILURE:
            raise
        if code not in RETRYABLE:
            # AccessDenied, ResourceNotFound, ValidationException...: the deployment's fault,
            # never the caller's credential. 503 (AUTHORIZER_FAILURE), not 401; the code is
            # logged so that an operator sees which (no key or value is in it).
            log.error("DynamoDB refused the authorizer's request: %s", code)
        raise Unavailable("The database is busy or unreachable; retry shortly") from exc
    except BotoCoreError as exc:
        raise Unavailable("The database is busy or unreachable; retry shortly") from exc


class AuthReads:
    """One botocore DynamoDB client for the authorizer, created once (`warm`, at init)."""

    def __init__(self, settings: Settings, keys: TokenHasher | None = None) -> None:
        self._settings = settings
        # Users are keyed by owner key: the authenticator's own hasher, or one from settings.
        self._keys = keys or TokenHasher(settings.token_pepper)
        self._tokens_table = settings.tokens_table
        self._identity_table = settings.identity_table
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        client = self._client
        # As pynamodb does: a client created without credentials (a flaky credential source)
        # would stay poisoned, so it is created again.
        if client is None or not getattr(client._request_signer, "_credentials", True):
            with self._lock:
                if self._client is None or self._client is client:
                    self._client = self._create()
                client = self._client
        return client

    def _create(self) -> Any:
        import botocore.session
        from botocore.config import Config

        s = self._settings
        config = Config(
            parameter_validation=False,
            connect_timeout=s.dynamodb_connect_timeout,
            read_timeout=s.dynamodb_read_timeout,
            retries={"total_max_attempts": 1 + s.dynamodb_max_retries, "mode": "standard"},
        )
        session = botocore.session.get_session()  # a new session: its loader is ours alone
        _list_only_dynamodb(session.get_component("data_loader"))
        return session.create_client(
            "dynamodb", s.region, endpoint_url=s.dynamodb_endpoint, config=config
        )

    def warm(self) -> None:
        """Create the client now: at init (fully powered, once per container)."""
        self.client  # noqa: B018 - the access creates it

    def after_restore(self) -> None:
        """SnapStart (sculptops.aws.snapstart): the snapshot's client holds connections that
        are gone; make a new one at once, as init did."""
        with self._lock:
            self._client = None
        self.warm()

    # -- reads -------------------------------------------------------------------------------

    def _get(self, table: str, key: Item) -> Item | None:
        with _translated():
            answer = self.client.get_item(TableName=table, Key=key, ConsistentRead=True)
        item: Item | None = answer.get("Item")
        return item

    def get_token(self, digest: str) -> StoredToken | None:
        item = self._get(self._tokens_table, {"digest": {"S": digest}})
        return stored_token(item) if item else None

    def get_user(self, user_id: str) -> User | None:
        item = self._get(self._identity_table, user_key(self._keys, user_id))
        if not item or item.get("user_id", {}).get("S", user_id) != user_id:
            return None  # none, or another user's item under this key: never read as this one
        return user_of(user_id, item)

    def get_tenant(self, slug: str) -> Tenant | None:
        item = self._get(self._identity_table, tenant_key(slug))
        return tenant_of(slug, item) if item else None

    def token_owner_tenant(
        self, digest: str, owner_key: str | None, slug: str | None
    ) -> tuple[StoredToken | None, User | None, Tenant | None]:
        """One BatchGetItem: the token (tokens table), the user under the owner key and the
        tenant (identity table), each strongly consistent; what is not asked for (None) is not
        read. Keys DynamoDB leaves unprocessed (throttling) are asked for again, at most twice;
        still unprocessed: Unavailable, never a guess."""
        identity_keys = []
        user_pk = user_pk_of_key(owner_key) if owner_key is not None else None
        if user_pk is not None:
            identity_keys.append({"pk": {"S": user_pk}, "sk": {"S": USER_SK}})
        if slug is not None:
            identity_keys.append(tenant_key(slug))
        request: dict[str, Any] = {
            self._tokens_table: {"Keys": [{"digest": {"S": digest}}], "ConsistentRead": True},
        }
        if identity_keys:
            request[self._identity_table] = {"Keys": identity_keys, "ConsistentRead": True}
        found: dict[str, list[Item]] = {}
        for attempt in range(BATCH_ATTEMPTS):
            with _translated():
                answer = self.client.batch_get_item(RequestItems=request)
            for table, items in (answer.get("Responses") or {}).items():
                found.setdefault(table, []).extend(items)
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            if attempt + 1 < BATCH_ATTEMPTS:
                time.sleep(0.02 * 2**attempt)
        else:
            raise Unavailable("The database is busy or unreachable; retry shortly")
        token = next(
            (i for i in found.get(self._tokens_table, []) if i["digest"]["S"] == digest), None
        )
        identity = found.get(self._identity_table, [])
        tenant = next(
            (i for i in identity if i["pk"]["S"] == f"TENANT#{slug}" and i["sk"]["S"] == TENANT_SK),
            None,
        )
        user = next(
            (i for i in identity if i["pk"]["S"] == user_pk and i["sk"]["S"] == USER_SK), None
        )
        return (
            stored_token(token) if token else None,
            # No token: nothing more is decoded (the items' decoding takes no time to measure).
            _owner(user) if user and token else None,
            tenant_of(slug, tenant) if tenant and token and slug is not None else None,
        )

    def find_token(self, owner: str, token_id: str) -> StoredToken | None:
        """One of the owner's tokens by id, on the `by_owner` index (all attributes)."""
        with _translated():
            answer = self.client.query(
                TableName=self._tokens_table,
                IndexName="by_owner",
                KeyConditionExpression="#o = :o AND #i = :i",
                ExpressionAttributeNames={"#o": "owner", "#i": "id"},
                ExpressionAttributeValues={":o": {"S": owner}, ":i": {"S": token_id}},
            )
        items = answer.get("Items") or []
        return stored_token(items[0]) if items else None

    # -- the one write on the hot path ---------------------------------------------------------

    def record_use(self, token: StoredToken, when: datetime, ips: tuple[str, ...]) -> bool:
        """adapters.dynamodb.tokens.DynamoTokenStore.record_use, raw: only over the use that
        was read, never resurrecting a token deleted meanwhile."""
        names = {"#d": "digest", "#lu": "last_used_at", "#ips": "last_used_ips"}
        values: dict[str, Any] = {":when": {"S": serialize_datetime(when)}}
        update = "SET #lu = :when"
        if ips:
            update += ", #ips = :ips"
            values[":ips"] = {"L": [{"S": ip} for ip in ips]}
        else:
            update += " REMOVE #ips"
        if token.last_used_at is None:
            condition = "attribute_exists(#d) AND attribute_not_exists(#lu)"
        else:
            condition = "attribute_exists(#d) AND #lu = :seen"
            values[":seen"] = {"S": serialize_datetime(token.last_used_at)}
        from botocore.exceptions import ClientError

        try:
            with _translated():
                self.client.update_item(
                    TableName=self._tokens_table,
                    Key={"digest": {"S": token.digest}},
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
        except ClientError as exc:
            if _code(exc) == CONDITIONAL_FAILURE:
                return False
            raise
        return True

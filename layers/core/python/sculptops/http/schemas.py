"""API schemas (pydantic), apart from domain objects and storage models.

Canonical models are snake_case. `camel(Model)` derives the compatibility surface's variant:
camelCase on the wire and in its OpenAPI document. Both surfaces accept both spellings.
"""

from __future__ import annotations

import functools
import operator
import types
from datetime import date, datetime
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel

from sculptops.domain.roles import Role
from sculptops.domain.tokens import DAYS_MAX, DAYS_MIN, NAME_MAX


def _both(name: str) -> AliasChoices:
    return AliasChoices(name, to_camel(name))


class Schema(BaseModel):
    """Base of every input: unknown fields are refused, both spellings accepted."""

    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
    )


class Out(BaseModel):
    model_config = ConfigDict(validate_by_name=True)


@functools.cache
def camel(model: type[BaseModel]) -> type[BaseModel]:
    """The camelCase variant of an output model (nested models converted too)."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        fields[name] = (
            _camel_type(info.annotation),
            Field(
                default=info.default,
                serialization_alias=to_camel(name),
                validation_alias=_both(name),
                description=info.description,
            ),
        )
    return create_model(
        f"{model.__name__}Compat",
        __config__=ConfigDict(validate_by_name=True, serialize_by_alias=True),
        __doc__=model.__doc__,
        **fields,
    )


def _camel_type(tp: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return camel(tp)
    origin = get_origin(tp)
    if origin is None:
        return tp
    args = tuple(_camel_type(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return functools.reduce(operator.or_, args)
    if origin is Annotated:
        return tp
    return origin[args] if len(args) > 1 else origin[args[0]]


# ---- tokens ----


class TokenCreate(Schema):
    """A new personal API token. Give `expiry_date` or `expires_in_days`, or neither."""

    name: str = Field(min_length=1, max_length=NAME_MAX, validation_alias=_both("name"))
    expiry_date: datetime | date | None = Field(
        default=None,
        validation_alias=_both("expiry_date"),
        description="A future ISO-8601 date or date-time (UTC when no offset is given)",
    )
    expires_in_days: int | None = Field(
        default=None, ge=DAYS_MIN, le=DAYS_MAX, validation_alias=_both("expires_in_days")
    )
    ceiling: Role | None = Field(
        default=None,
        validation_alias=_both("ceiling"),
        description="Highest role the token may act with; default: the owner's current role",
    )


class TokenInfo(Out):
    """A token as listed: never its value or digest."""

    id: str
    name: str
    expiry_date: datetime | None
    created_at: datetime
    last_used_at: datetime | None = None
    ceiling: Role | None = None


class TokenCreated(Out):
    """The created token with its value: shown in this response only."""

    id: str
    name: str
    expiry_date: datetime | None
    created_at: datetime
    ceiling: Role | None = None
    token: str = Field(description="The token value. Store it now: it is never shown again.")


class TokenList(Out):
    tokens: list[TokenInfo]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page"
    )


# ---- identity ----


class TenantRole(Out):
    slug: str
    name: str
    role: Role


class CredentialInfo(Out):
    kind: str = Field(description="token, agent or jwt")
    id: str | None = None
    name: str | None = None
    expiry_date: datetime | None = None
    ceiling: Role | None = None


class UserInfo(Out):
    id: str
    email: str
    name: str


class MeOut(Out):
    user: UserInfo | None
    tenants: list[TenantRole]
    active_tenant: str | None
    tenant: str | None = Field(description="The tenant of this request")
    role: Role | None = Field(description="The effective role in the tenant of this request")
    credential: CredentialInfo


class Health(Out):
    status: str


class ErrorOut(Out):
    message: str

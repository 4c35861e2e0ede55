"""snake_case and camelCase: how the two surfaces spell the same fields.

Canonical models are snake_case. Every input accepts both spellings (`BOTH_SPELLINGS`, the
alias generator of the inputs' base model); `camel(Model)` derives an output model's variant for
the compatibility surface: camelCase on the wire and in its OpenAPI document.
"""

from __future__ import annotations

import functools
import operator
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, AliasGenerator, BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel


def both(name: str) -> AliasChoices:
    """A field's validation alias: its own name first (the OpenAPI document shows it), then
    the camelCase spelling."""
    return AliasChoices(name, to_camel(name))


# The inputs' alias generator: every field, unless it names an alias of its own, accepts both
# spellings. The field name itself stays valid through `validate_by_name`.
BOTH_SPELLINGS = AliasGenerator(validation_alias=both)
# Outputs of the compatibility surface: written in camelCase, read in either spelling.
_CAMEL_OUT = AliasGenerator(validation_alias=both, serialization_alias=to_camel)


@functools.cache
def camel(model: type[BaseModel]) -> type[BaseModel]:
    """The camelCase variant of an output model (nested models converted too).

    A model may list fields whose type differs on the compatibility surface in a class variable
    `compat_types`: name -> (type, description).
    """
    fields: dict[str, Any] = {}
    overrides: dict[str, tuple[Any, str]] = getattr(model, "compat_types", {})
    for name, info in model.model_fields.items():
        annotation, description = overrides.get(name, (info.annotation, info.description))
        fields[name] = (
            _camel_type(annotation),
            Field(default=info.default, description=description),
        )
    return create_model(
        f"{model.__name__}Compat",
        __config__=ConfigDict(
            alias_generator=_CAMEL_OUT, validate_by_name=True, serialize_by_alias=True
        ),
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

"""Reading stored items back so that one bad item never breaks a read (DESIGN §4).

Whatever was written (by an older version, by hand, by a bug), a read returns text: a lone
surrogate becomes U+FFFD, NaN and Infinity become null, and an attribute that cannot be
deserialized reads as missing and marks its item. Callers turn a marked item into a safe
placeholder instead of failing. Only types are logged, never stored values.
"""

from __future__ import annotations

import json
import logging
import math
import re
from datetime import UTC, datetime
from typing import Any

from pynamodb.constants import NULL

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What can go wrong turning stored data into values: wrong types, broken JSON or timestamps,
# nesting the parser cannot follow.
CONVERSION_ERRORS = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    OverflowError,
    RecursionError,
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def text(value: Any) -> str:
    """A str that can be encoded as UTF-8: lone surrogates become U+FFFD."""
    if not isinstance(value, str):
        value = "" if value is None else str(value)
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)


def text_or_none(value: Any) -> str | None:
    return None if value is None else text(value)


def clean(value: Any) -> Any:
    """JSON data made safe to render: text repaired, non-finite numbers as null."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {text(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def load_json(raw: str | None, default: Any) -> Any:
    """Stored JSON made safe; raises one of CONVERSION_ERRORS when it is not JSON."""
    return clean(json.loads(raw)) if raw else default


def when(value: Any) -> datetime:
    """A stored time, or the epoch when it is missing or unreadable."""
    return value if isinstance(value, datetime) else EPOCH


def unreadable(kind: str, exc: BaseException | None = None) -> None:
    """Log that an item could not be read: its kind and the error's type only."""
    log.warning("unreadable %s item (%s)", kind, type(exc).__name__ if exc else "attributes")


class Forgiving:
    """A pynamodb model mixin: an attribute that cannot be deserialized reads as missing.

    pynamodb raises on the first bad attribute (a timestamp that does not parse, a number
    stored as a string), which would fail a whole query page. Here the item is still read,
    and `broken` names what could not be.
    """

    broken: tuple[str, ...] = ()

    @classmethod
    def _instantiate(cls, attribute_values: dict[str, dict[str, Any]]) -> Any:
        # pynamodb's own calls AttributeContainer._container_deserialize directly, past any
        # override; these models use no discriminator, so this is the same but for that.
        instance: Any = cls(_user_instantiated=False)  # type: ignore[call-arg]
        instance._container_deserialize(attribute_values)
        return instance

    def _container_deserialize(self, attribute_values: dict[str, dict[str, Any]]) -> None:
        try:
            super()._container_deserialize(attribute_values)  # type: ignore[misc]
            return
        except CONVERSION_ERRORS:
            pass
        me: Any = self
        broken = []
        me.attribute_values = {}
        me._set_discriminator()
        me._set_defaults(_user_instantiated=False)
        for name, attr in me.get_attributes().items():
            raw = attribute_values.get(attr.attr_name)
            if not raw or NULL in raw:
                continue
            try:
                setattr(self, name, attr.deserialize(attr.get_value(raw)))
            except CONVERSION_ERRORS:
                broken.append(name)
        object.__setattr__(self, "broken", tuple(broken))
        log.warning("stored item with unreadable attributes: %s", ", ".join(broken))

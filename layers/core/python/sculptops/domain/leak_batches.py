"""A leak report's batch: the posted values checked and hashed, and the worker's payload.

Pure: nothing here reads or writes a store. `batch_of` hashes every value (well-formed or not,
the same hash) so that the request path's work depends only on what the caller sent; the batch
travels to the worker as `to_payload()` JSON (`encode_batch`) and back (`LeakBatch.from_payload`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sculptops.domain import token_format
from sculptops.domain.errors import InvalidInput
from sculptops.domain.identity import CredentialKind, RequestOrigin

MAX_VALUES = 1000
MAX_LENGTH = 200

# The worker's payload: at most MAX_VALUES digests (64 hex characters each) and the request's
# origin (each field at most 256 characters): about 70 KB, under the 256 KB that an asynchronous
# Lambda invocation takes (checked by `encode_batch` and by the tests).
MAX_PAYLOAD_BYTES = 256 * 1024
_DIGEST_LENGTH = 64
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class LeakBatch:
    """What the worker gets: the digests of the well-formed values, each with the kind its
    format names, and where the request came from (for the audit events)."""

    digests: tuple[tuple[str, CredentialKind], ...]
    origin: RequestOrigin

    def to_payload(self) -> dict[str, object]:
        return {
            "version": 1,
            "tokens": [d for d, k in self.digests if k is CredentialKind.TOKEN],
            "agents": [d for d, k in self.digests if k is CredentialKind.AGENT],
            "origin": {
                "source_ip": self.origin.source_ip,
                "user_agent": self.origin.user_agent,
                "request_id": self.origin.request_id,
            },
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, object]) -> LeakBatch:
        """The batch from the worker's event; anything else is refused (it names no value)."""
        if not isinstance(payload, Mapping) or payload.get("version") != 1:
            raise InvalidInput("payload", "not a leak batch")
        digests: list[tuple[str, CredentialKind]] = []
        for key, kind in (("tokens", CredentialKind.TOKEN), ("agents", CredentialKind.AGENT)):
            listed = payload.get(key)
            if not isinstance(listed, list) or len(listed) > MAX_VALUES:
                raise InvalidInput(f"payload.{key}", "must be a list of digests")
            for d in listed:
                if not (isinstance(d, str) and len(d) == _DIGEST_LENGTH and set(d) <= _HEX):
                    raise InvalidInput(f"payload.{key}", "must be a list of digests")
                digests.append((d, kind))
        if len(digests) > MAX_VALUES:
            raise InvalidInput("payload", f"at most {MAX_VALUES} digests")
        origin = payload.get("origin")
        fields = origin if isinstance(origin, Mapping) else {}

        def text(name: str) -> str | None:
            value = fields.get(name)
            return value[:256] if isinstance(value, str) and value else None

        return cls(
            digests=tuple(digests),
            origin=RequestOrigin(text("source_ip"), text("user_agent"), text("request_id")),
        )


def encode_batch(payload: Mapping[str, object]) -> bytes:
    """The payload as the worker's event (JSON); over the async invocation limit is a bug."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"leak batch of {len(body)} bytes is over {MAX_PAYLOAD_BYTES}")
    return body


def check_values(values: Sequence[object]) -> list[str]:
    """The posted list's shape: at most 1,000 strings of at most 200 characters each."""
    if len(values) > MAX_VALUES:
        raise InvalidInput("credentials", f"must hold at most {MAX_VALUES} values")
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise InvalidInput(f"credentials[{i}]", "must be a string")
        if len(value) > MAX_LENGTH:
            raise InvalidInput(f"credentials[{i}]", f"must be at most {MAX_LENGTH} characters")
    return [str(v) for v in values]


def _kind_of(value: str, prefixes: Mapping[CredentialKind, str]) -> CredentialKind | None:
    for kind, prefix in prefixes.items():
        if token_format.is_well_formed(value, prefix):
            return kind
    return None


def batch_of(
    values: Sequence[object],
    origin: RequestOrigin,
    hasher: token_format.TokenHasher,
    prefixes: Mapping[CredentialKind, str],
) -> LeakBatch:
    """Check the shape, hash every value (the same hash, well-formed or not), keep the digests
    of the well-formed ones (once each). No read: nothing here depends on what is stored."""
    checked = check_values(values)
    wanted: dict[str, CredentialKind] = {}
    for value in checked:
        kind = _kind_of(value, prefixes)
        digest = hasher.digest(value)
        if kind is not None and digest not in wanted:
            wanted[digest] = kind
    return LeakBatch(digests=tuple(wanted.items()), origin=origin)

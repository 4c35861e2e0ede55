"""Hostile values an attack on the authorizer found (after the read path moved to botocore).

`re.match` with `$` accepts a trailing newline ("demo\\n"): every input pattern is matched whole.
An item whose attribute has the wrong DynamoDB type is refused (the authorizer fails closed),
as pynamodb refuses it, never read as a default that would let a token in.
"""

from __future__ import annotations

import pytest

from sculptops.adapters.dynamodb.auth_items import tenant_of, user_of
from sculptops.domain import token_format
from sculptops.domain.catalog import Host, validate_hosts, validate_vars
from sculptops.domain.errors import InvalidInput
from sculptops.domain.idempotency import validate_key
from sculptops.domain.identity import is_valid_slug


@pytest.mark.parametrize("tail", ["\n", "\r\n", " "])
def test_a_trailing_newline_is_never_part_of_a_valid_input(tail: str) -> None:
    assert is_valid_slug("demo") and not is_valid_slug(f"demo{tail}")
    value = token_format.generate("ag_live_")
    assert token_format.is_well_formed(value, "ag_live_")
    assert not token_format.is_well_formed(value + tail, "ag_live_")
    with pytest.raises(InvalidInput, match="not a valid variable name"):
        validate_vars({f"who{tail}": "x"}, "extra_vars")
    with pytest.raises(InvalidInput):
        validate_hosts([Host(name=f"h1{tail}")])
    with pytest.raises(InvalidInput):
        validate_key(f"key-1{tail}")


@pytest.mark.parametrize("stored", [{"S": "true"}, {"N": "1"}, {"SS": ["x"]}])
def test_a_token_policy_of_the_wrong_type_is_refused_not_read_as_off(stored: dict) -> None:
    item = {"pk": {"S": "TENANT#demo"}, "sk": {"S": "TENANT"}, "tokens_admins_only": stored}
    with pytest.raises(ValueError, match="tokens_admins_only"):
        tenant_of("demo", item)


def test_a_token_policy_that_is_a_boolean_or_absent_reads_as_stored() -> None:
    base = {"pk": {"S": "TENANT#demo"}, "sk": {"S": "TENANT"}}
    assert tenant_of(
        "demo", {**base, "tokens_admins_only": {"BOOL": True}}
    ).token_policy.admins_only
    assert not tenant_of("demo", base).token_policy.admins_only
    assert not tenant_of(
        "demo", {**base, "tokens_admins_only": {"NULL": True}}
    ).token_policy.admins_only


@pytest.mark.parametrize("stored", [{"S": "demo=admin"}, {"L": [{"S": "demo"}]}])
def test_memberships_that_are_not_a_map_are_refused(stored: dict) -> None:
    with pytest.raises(ValueError, match="memberships"):
        user_of("member@demo", {"memberships": stored})


@pytest.mark.parametrize("stored", [{"S": "t1"}, {"N": "1"}, {"M": {}}])
def test_a_block_set_of_the_wrong_type_is_refused(stored: dict) -> None:
    with pytest.raises((ValueError, KeyError)):
        tenant_of("demo", {"blocked_tokens": stored})

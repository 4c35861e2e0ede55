"""The token value format: prefix, >= 160 random bits in base62, CRC32 checksum in base62."""

import math
import re
import zlib

import pytest

from sculptops.domain import token_format as tf


def test_a_new_token_has_the_prefix_enough_entropy_and_a_valid_checksum():
    # Given the default prefix / When a token is generated
    value = tf.generate("ag_live_")
    # Then it is prefix + 30 base62 chars + 6 base62 checksum chars
    assert re.fullmatch(r"ag_live_[0-9A-Za-z]{36}", value)
    assert tf.RANDOM_LENGTH * math.log2(62) >= 160
    random_part = value[8 : 8 + tf.RANDOM_LENGTH]
    assert value.endswith(tf.base62(zlib.crc32(random_part.encode()), 6))
    assert tf.is_well_formed(value, "ag_live_")


def test_tokens_are_unique():
    assert len({tf.generate("ag_live_") for _ in range(2000)}) == 2000


@pytest.mark.parametrize(
    "mutate",
    [
        lambda v: v[:-1] + ("A" if v[-1] != "A" else "B"),  # checksum typo
        lambda v: v[:10] + ("x" if v[10] != "x" else "y") + v[11:],  # random-part typo
        lambda v: v[:-1],  # too short
        lambda v: v + "0",  # too long
        lambda v: v.replace("ag_live_", "ag_test_"),  # other prefix
        lambda v: v[:12] + "-" + v[13:],  # outside the alphabet
        lambda v: "",
    ],
)
def test_a_mistyped_token_is_not_well_formed(mutate):
    value = tf.generate("ag_live_")
    assert not tf.is_well_formed(mutate(value), "ag_live_")


def test_digest_is_sha256_or_hmac_with_a_pepper():
    plain = tf.TokenHasher(None).digest("x")
    peppered = tf.TokenHasher(b"pepper-pepper-pepper").digest("x")
    assert plain == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    assert peppered != plain and len(peppered) == 64
    assert tf.TokenHasher.same(plain, plain) and not tf.TokenHasher.same(plain, peppered)


@pytest.mark.parametrize("prefix", ["ag_live_", "acme_", "x1_prod_"])
def test_valid_prefixes(prefix):
    assert tf.validate_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", ["", "ag", "AG_", "ag-live_", "_ag_", "a" * 30 + "_"])
def test_invalid_prefixes_are_refused(prefix):
    with pytest.raises(ValueError):
        tf.validate_prefix(prefix)


def test_a_token_is_found_inside_any_text_whatever_its_prefix() -> None:
    for prefix in ("ag_live_", "ag_agent_", "sk_"):
        value = tf.generate(prefix)
        assert tf.contains_token(value)
        assert tf.contains_token(f"ansible_{value}")
        assert tf.contains_token(f"Bearer {value} trailing")


def test_a_token_shape_without_its_checksum_is_not_a_token() -> None:
    value = tf.generate("ag_live_")
    broken = value[:-1] + ("a" if value[-1] != "a" else "b")
    assert not tf.contains_token(broken)
    assert not tf.contains_token("ag_live_" + "a" * 36)
    # A token followed by more characters still holds a working token: found.
    assert tf.contains_token(value + "x") and tf.contains_token(value + "0")


def test_a_personal_token_carries_its_owners_key_under_the_checksum() -> None:
    keys = tf.TokenHasher(b"pepper-pepper-pepper")
    key = keys.owner_key("member@demo")
    assert re.fullmatch(r"[0-9A-Za-z]{22}", key) and key == keys.owner_key("member@demo")
    assert key != keys.owner_key("member@demo ") and key != keys.owner_key("Member@demo")
    value = tf.generate("ag_live_", key)
    assert re.fullmatch(r"ag_live_[0-9A-Za-z]{58}", value)
    body = value[len("ag_live_") :]
    assert body[30:52] == key
    assert body[52:] == tf.base62(zlib.crc32(body[:52].encode()), 6)  # covers the key too
    assert tf.parse(value, "ag_live_") == tf.Parsed(key)
    assert tf.contains_token(f"x={value};")
    # Another owner key with the old checksum: not well formed.
    other = value[:8] + body[:30] + keys.owner_key("admin@demo") + body[52:]
    assert tf.parse(other, "ag_live_") is None and not tf.contains_token(other)


@pytest.mark.parametrize("owner", ["", "short", "A" * 23, "a" * 21 + "-", "member@demo"])
def test_only_an_owner_key_goes_into_a_value(owner: str) -> None:
    with pytest.raises(ValueError):
        tf.generate("ag_live_", owner)


def test_bodies_of_other_lengths_are_not_tokens() -> None:
    value = tf.generate("ag_live_", tf.TokenHasher(None).owner_key("x"))
    for n in (37, 40, 57, 59):
        body = (value[8:] * 2)[:n]
        assert tf.parse("ag_live_" + body, "ag_live_") is None
    assert tf.parse(value + "\n", "ag_live_") is None


def test_owner_keys_are_keyed_with_the_pepper() -> None:
    """Without the pepper nobody can make the key of a guessed user id (and tell, by timing,
    whether that user exists) or tell whose key a leaked value carries."""
    one, other = tf.TokenHasher(b"pepper-one-0123456789"), tf.TokenHasher(b"pepper-two-0123456789")
    unkeyed = tf.TokenHasher(None)
    keys = {h.owner_key("member@demo") for h in (one, other, unkeyed)}
    assert len(keys) == 3
    assert one.owner_key("member@demo") == tf.TokenHasher(b"pepper-one-0123456789").owner_key(
        "member@demo"
    )
    # Not the token digest's key either: an owner key tells nothing of any digest.
    assert one.owner_key("x") not in one.digest("x")


@pytest.mark.parametrize(
    "hide",
    [
        lambda v: v + "Z",  # glued to a letter or digit after it
        lambda v: "X" + v + "9",
        lambda v: v[len("ag_live_") :],  # the body alone: the prefix is public
        lambda v: "_" + v[len("ag_live_") :],
        lambda v: v[:20] + "\u00ad" + v[20:],  # a soft hyphen inside
        lambda v: v[:30] + "\u200d" + v[30:40] + "\u200b" + v[40:],  # zero-width joiners
        lambda v: v[:25] + "\u0301" + v[25:],  # a combining mark
        lambda v: v[:25] + "\ufe0f\u2060" + v[25:],  # a variation selector, a word joiner
        lambda v: "name: " + v.replace("_", "_\u00ad"),
    ],
)
def test_a_token_is_found_however_it_is_wrapped(hide) -> None:
    for value in (
        tf.generate("ag_live_", tf.TokenHasher(None).owner_key("x")),
        tf.generate("ag_agent_"),
    ):
        assert tf.contains_token(hide(value)), hide(value)


def test_no_false_alarm_on_ordinary_long_text() -> None:
    text = "deploy_" + "abcdefghij" * 30 + " " + "A1" * 100 + "_" + "z" * 80
    assert not tf.contains_token(text) and tf.token_spans(text) == []
    value = tf.generate("ag_live_", tf.TokenHasher(None).owner_key("x"))
    spans = tf.token_spans(f"a {value} b {value}")
    assert [(e - s) for s, e in spans] == [58, 58]

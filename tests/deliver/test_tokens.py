"""Unsubscribe tokens: HMAC-signed, bound to the address; any change makes them invalid."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.deliver.tokens import (
    MAX_SUBSCRIBER_ID,
    InvalidToken,
    load_secret,
    make_token,
    token_subscriber_id,
    verify_token,
)
from digest.errors import ConfigError

SECRET = b"a-long-enough-test-secret"


def test_a_token_verifies_for_its_subscriber_only():
    token = make_token(SECRET, 42, "Ana@Example.com")
    verify_token(SECRET, token, "ana@example.com")  # the address's case does not matter
    with pytest.raises(InvalidToken):
        verify_token(SECRET, token, "bo@example.com")
    with pytest.raises(InvalidToken):
        verify_token(b"another-secret-of-length", token, "ana@example.com")
    assert set(token) <= set("0123456789abcdef.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_")


@given(st.data())
def test_any_change_to_a_token_is_rejected(data):
    token = make_token(SECRET, data.draw(st.integers(1, 2**40)), "ana@example.com")
    at = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c != token[at]))
    altered = token[:at] + replacement + token[at + 1 :]
    with pytest.raises(InvalidToken):
        verify_token(SECRET, altered, "ana@example.com")


def test_the_secret_comes_from_the_environment_then_the_file(tmp_path: Path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-the-file-0123456789\n")
    assert load_secret(secret_file, environ={}).value == b"from-the-file-0123456789"
    assert (
        load_secret(secret_file, environ={"DIGEST_SECRET": "from-env-0123456789"}).value
        == b"from-env-0123456789"
    )
    with pytest.raises(ConfigError, match="DIGEST_SECRET or \\[newsletter\\] secret_file"):
        load_secret(None, environ={})
    assert load_secret(None, environ={}, allow_development=True).is_development
    with pytest.raises(ConfigError, match="at least 16"):
        load_secret(None, environ={"DIGEST_SECRET": "short"})
    with pytest.raises(ConfigError, match="secret_file: cannot read"):
        load_secret(tmp_path / "missing", environ={})
    assert "from-env" not in repr(load_secret(None, environ={"DIGEST_SECRET": "from-env-0123456789"}))


# Shapes int(x, 16) accepts but make_token never writes, and ids SQLite cannot hold.
NON_CANONICAL_HEADS = [
    "ffffffffffffffff",
    "8000000000000000",
    " 1",
    "+1",
    "-1",
    "1_0",
    "0x1",
    "\u0661",
    "01",
    "A",
]


@pytest.mark.parametrize("head", NON_CANONICAL_HEADS)
def test_only_the_shape_make_token_writes_is_read(head: str):
    with pytest.raises(InvalidToken):
        token_subscriber_id(f"{head}.AAAA")
    with pytest.raises(InvalidToken):
        verify_token(
            SECRET, f"{head}.{make_token(SECRET, 1, 'ana@example.com').partition('.')[2]}", "ana@example.com"
        )


def test_the_largest_id_sqlite_holds_still_round_trips():
    token = make_token(SECRET, MAX_SUBSCRIBER_ID, "ana@example.com")
    assert token_subscriber_id(token) == MAX_SUBSCRIBER_ID
    verify_token(SECRET, token, "ana@example.com")


# Arbitrary text rarely holds a ".", so half the examples are built from the characters that matter.
TOKENISH = st.text(st.sampled_from("0123456789abcdefABCDEF+-_x .=\u0661"), max_size=40)
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)


@given(token=TOKENISH | ANY_TEXT | st.builds("{}.{}".format, TOKENISH, ANY_TEXT))
def test_any_string_is_either_the_real_token_or_invalid(token: str):
    """Nothing but InvalidToken escapes, and an id that is read fits an SQLite integer."""
    try:
        subscriber_id = token_subscriber_id(token)
    except InvalidToken:
        return
    assert 0 <= subscriber_id <= MAX_SUBSCRIBER_ID
    try:
        verify_token(SECRET, token, "ana@example.com")
    except InvalidToken:
        return
    assert token == make_token(SECRET, subscriber_id, "ana@example.com")

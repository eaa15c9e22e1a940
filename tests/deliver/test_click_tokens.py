"""Click tokens (issue 15): what a counted link carries comes back exactly; any other string is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.deliver.click_tokens import (
    NOT_COUNTED,
    TrackedLink,
    clicker_key,
    link_part,
    read_click_token,
    sign_link,
    who_part,
)
from digest.deliver.tokens import InvalidToken

SECRET = b"test-secret-0123456789abcdef"
LINK = TrackedLink("2026-W48", "sponsored-1", 3, 9, "https://example.org/a?b=c&utm_content=sponsored-1#d")


def token(subscriber: int | None = None, secret: bytes = SECRET) -> str:
    who = who_part(clicker_key(secret, LINK.issue_id, 42), subscriber)
    return sign_link(secret, link_part(LINK), who)


def test_a_token_gives_back_its_link_and_an_opaque_clicker():
    read = read_click_token(SECRET, token())
    assert read.link == LINK and read.subscriber_id is None and read.counted
    assert "42" not in read.clicker and read.clicker == clicker_key(SECRET, LINK.issue_id, 42)
    assert clicker_key(SECRET, "2026-W49", 42) != read.clicker, "a key per message, not per person"
    assert read_click_token(SECRET, token(subscriber=42)).subscriber_id == 42


def test_a_proof_token_counts_nothing():
    read = read_click_token(SECRET, sign_link(SECRET, link_part(LINK), NOT_COUNTED))
    assert read.link == LINK and not read.counted


def test_another_secret_or_another_link_under_the_same_signature_is_refused():
    with pytest.raises(InvalidToken):
        read_click_token(SECRET, token(secret=b"another-secret-0123456789"))
    other = link_part(TrackedLink(LINK.issue_id, LINK.slot, 3, 9, "https://evil.example/"))
    _, who, mac = token().split(".")
    with pytest.raises(InvalidToken):
        read_click_token(SECRET, f"{other}.{who}.{mac}")


@given(st.data())
def test_any_change_or_cut_is_refused(data: st.DataObject):
    good = token(subscriber=7)
    at = data.draw(st.integers(0, len(good) - 1))
    cut = data.draw(st.booleans())
    if cut:
        bad = good[:at]
    else:
        replacement = data.draw(st.characters(codec="ascii").filter(lambda c: c != good[at]))
        bad = good[:at] + replacement + good[at + 1 :]
    with pytest.raises(InvalidToken):
        read_click_token(SECRET, bad)

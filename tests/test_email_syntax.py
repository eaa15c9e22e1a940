"""The quick address check (digest/email_syntax.py) gives email-validator's answer or none."""

from __future__ import annotations

import email_validator
import pytest
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from hypothesis import given
from hypothesis import strategies as st

from digest.email_syntax import CASE_INSENSITIVE_MAILBOXES, SPECIAL_USE_DOMAINS, plain_address


def validator_says(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).ascii_email
    except EmailNotValidError:
        return None


def test_its_lists_are_email_validators() -> None:
    assert set(email_validator.SPECIAL_USE_DOMAIN_NAMES) == SPECIAL_USE_DOMAINS
    assert not any("." in name for name in SPECIAL_USE_DOMAINS)  # plain_address compares the last label
    assert set(CASE_INSENSITIVE_MAILBOX_NAMES) == CASE_INSENSITIVE_MAILBOXES


@pytest.mark.parametrize(
    "text",
    [
        "reader1@example.com",
        "Ana.Lima@Example.COM",
        "o'brien+news@mail.example.co.uk",
        "x@a-b.example",
        "a_b{c}@x9.io",
        "first.last@sub-1.sub2.example.org",
        "a" * 65 + "@example.com",  # (RFC 5321's 64 is digest's own check: store/addresses.py)
    ],
)
def test_a_plain_address_is_answered_as_email_validator_does(text: str) -> None:
    assert plain_address(text) is not None
    assert plain_address(text) == validator_says(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no-at-sign",
        "a@b",  # no period
        "a@example.123",  # a numeric top-level domain
        "a@-x.example",
        "a@x-.example",
        "a..b@example.com",
        ".a@example.com",
        "a.@example.com",
        '"quoted"@example.com',
        "a@localhost",
        "a@mail.test",
        "a@xn--bcher-kva.example",
        "a@ab--cd.example",
        "Info@Example.com",  # lower-cased by email-validator: left to it
        "josé@example.com",
        "a@bücher.example",
        "a@[192.0.2.1]",
        "a@" + "x" * 64 + ".example",
        "a@" + ("x" * 60 + ".") * 5 + "example",
    ],
)
def test_anything_else_is_left_to_email_validator(text: str) -> None:
    quick = plain_address(text)
    assert quick is None or quick == validator_says(text)
    assert quick is None


_PARTS = st.text(alphabet="aZ9._-+'@!xn\u00e9", min_size=0, max_size=12)


@given(st.lists(_PARTS, min_size=1, max_size=4).map("".join))
def test_whatever_it_answers_email_validator_answers(text: str) -> None:
    quick = plain_address(text)
    if quick is not None:
        assert quick == validator_says(text)


@given(
    st.from_regex(r"[a-zA-Z0-9_+'-]{1,20}(\.[a-zA-Z0-9]{1,8}){0,2}", fullmatch=True),
    st.from_regex(r"([a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?\.){1,3}[a-zA-Z]{2,6}", fullmatch=True),
)
def test_it_agrees_on_plausible_addresses(local: str, domain: str) -> None:
    text = f"{local}@{domain}"
    quick = plain_address(text)
    assert quick is None or quick == validator_says(text)
    if "--" not in domain and local.lower() not in CASE_INSENSITIVE_MAILBOXES:
        assert (quick is None) == (validator_says(text) is None)

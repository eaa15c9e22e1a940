"""Display names in From, To and Reply-To: one phrase whatever they hold, never another address,
a group or a header of their own, in the spliced bytes and in the EmailMessage reference alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.deliver.message import header_text, mailbox
from digest.deliver.send import Purpose
from digest.deliver.splice import Recipient
from digest.markup import fold_whitespace
from digest.pipeline import build_issue, prepare_folder
from digest.store.subscribers import clean_name
from tests.deliver.test_splice import ENV, assert_same_message, assert_wire_limits, meridian, parse

# name as a subscriber's CSV row gives it → the display name a mail program must show
HOSTILE_NAMES = {
    "Zoë <boss@evil.example>": "Zoë <boss@evil.example>",
    "Renée, Bcc: other@evil.example": "Renée, Bcc: other@evil.example",
    "Zoë\r\nX-Injected: yes": "Zoë X-Injected: yes",
    "Mallory\r\nBcc: other@evil.example": "Mallory Bcc: other@evil.example",
    "Ana <boss@evil.example>": "Ana <boss@evil.example>",
    "Group: a@evil.example, b@evil.example;": "Group: a@evil.example, b@evil.example;",
    "=?utf-8?q?boss=40evil.example?=": "=?utf-8?q?boss=40evil.example?=",  # reads as an encoded-word
    '"Quoted\\" \\\\ (comment) [x]': '"Quoted\\" \\\\ (comment) [x]',
    "Ana \u202eLópez\u202c": "Ana López",
}
INJECTED = re.compile(rb"\r\n(X-Injected|Bcc):", re.IGNORECASE)


def only_address(data: bytes, field: str) -> tuple[str, str]:
    addresses = parse(data)[field].addresses
    assert len(addresses) == 1, addresses
    return addresses[0].display_name, addresses[0].addr_spec


def assert_one_line_each(data: bytes) -> None:
    head = data.partition(b"\r\n\r\n")[0]
    assert not INJECTED.search(head)
    assert b"\r" not in head.replace(b"\r\n", b"") and b"\n" not in head.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_name_in_to_is_only_a_display_name(name: str):
    """As the name comes (the header's own defence) and as the subscriber store keeps it."""
    prepared = meridian()
    for recipient in (
        Recipient("ana@example.com", name, 42),
        Recipient("ana@example.com", clean_name(name), 42),
    ):
        spliced = prepared.template.personalise(recipient)
        reference = prepared.template.reference_message(recipient).as_bytes()
        for data in (spliced, reference):
            assert only_address(data, "To") == (HOSTILE_NAMES[name], "ana@example.com")
            assert_one_line_each(data)
    assert_same_message(parse(spliced), parse(reference))
    assert_wire_limits(spliced)


def test_hostile_names_in_from_and_reply_to(issue_dir: Path, tmp_path: Path):
    toml = issue_dir / "issue.toml"
    toml.write_text(
        toml.read_text().replace(
            'from = "Test Weekly <weekly@test-press.example>"',
            "from = '\"Zoë <boss@evil.example>\" <weekly@test-press.example>'\n"
            "reply_to = '\"Renée, Bcc: other@evil.example\" <replies@test-press.example>'",
        )
    )
    prepared = prepare_folder(issue_dir, Purpose.SEND, environ=ENV)
    recipient = Recipient("ana@example.com", "Ana", 1)
    built = build_issue(issue_dir, tmp_path / "out").files["eml"].read_bytes()
    for data in (prepared.template.personalise(recipient), built):
        assert only_address(data, "From") == ("Zoë <boss@evil.example>", "weekly@test-press.example")
        assert only_address(data, "Reply-To") == (
            "Renée, Bcc: other@evil.example",
            "replies@test-press.example",
        )
        assert parse(data)["Bcc"] is None


# Arbitrary Unicode, with the characters that matter to an address header mixed in often.
PIECES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8) | st.sampled_from(
    [*'()<>[]:;@\\,."=?\t ', "\r\n", "\u202e", "\u2066", "\u200f", "=?utf-8?q?", "Bcc: x@evil.example"]
)
NAMES = st.lists(PIECES, max_size=20).map("".join)
LOCAL_PARTS = st.from_regex(r"[a-z0-9][a-z0-9_+-]{0,20}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(name=NAMES, local=LOCAL_PARTS)
def test_any_name_in_to_parses_as_exactly_the_recipient_and_the_name(name: str, local: str):
    prepared = meridian()
    raw = prepared.template.personalise(Recipient(f"{local}@example.com", name, 7))
    assert only_address(raw, "To") == (fold_whitespace(name), f"{local}@example.com")
    assert_one_line_each(raw)
    stored = Recipient(f"{local}@example.com", clean_name(name), 7)  # as the subscriber store keeps it
    data = prepared.template.personalise(stored)
    assert only_address(data, "To") == (fold_whitespace(name), stored.email)
    assert_wire_limits(data)
    assert_same_message(parse(data), parse(prepared.template.reference_message(stored).as_bytes()))


@settings(max_examples=150, deadline=None)
@given(name=NAMES, field=st.sampled_from(["From", "To", "Reply-To"]))
def test_any_name_makes_one_mailbox_in_each_address_header(name: str, field: str):
    header = f"{field}: {mailbox(name, 'weekly@test-press.example')}\r\n".encode("ascii")
    assert all(len(line) <= 998 for line in header.split(b"\r\n"))
    assert only_address(header + b"\r\n", field) == (fold_whitespace(name), "weekly@test-press.example")


def test_a_name_too_long_for_one_line_is_folded_and_stays_one_name():
    name = "Zoë Ångström-Łukasiewicz " * 80
    data = meridian().template.personalise(Recipient("zoe@example.com", name, 5))
    assert_wire_limits(data)
    shown, address = only_address(data, "To")
    assert address == "zoe@example.com"
    assert shown.replace(" ", "") == name.replace(" ", "")  # parsers differ on spaces between encoded-words


def test_every_header_value_is_one_line_without_disguising_characters():
    """Subject, names, List-Id: header_text makes each (issue 18: 11)."""
    assert header_text("Invoice for \u202efdp.exe\r\nBcc: x@evil.example\u2069") == (
        "Invoice for fdp.exe Bcc: x@evil.example"
    )
    isolated = "\u2067Ana\u2069 \u200fLópez"
    header = f"To: {mailbox(isolated, 'a@b.example')}\r\n\r\n"
    assert only_address(header.encode("ascii"), "To") == ("Ana López", "a@b.example")

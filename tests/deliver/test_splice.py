"""Encode once, splice per recipient: the bytes parse to the same message as EmailMessage's."""

from __future__ import annotations

import email
import functools
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.deliver.send import Purpose, link_values
from digest.deliver.splice import Recipient
from digest.deliver.stuffing import dot_stuffed
from digest.errors import RenderError
from digest.pipeline import compose_folder, prepare_folder
from digest.render import RecipientLinks, load_theme, render_issue
from digest.settings import load_issue_config
from digest.store.subscribers import clean_name
from tests.conftest import SAMPLE_WEEKS, TEST_SECRET

ENV = {"DIGEST_SECRET": TEST_SECRET}
COMPARED_HEADERS = (
    "From", "To", "Subject", "Date", "Message-ID", "Reply-To", "List-Id",
    "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version",
)  # fmt: skip


@pytest.fixture(scope="module", params=sorted(SAMPLE_WEEKS))
def prepared(request):
    return prepare_folder(SAMPLE_WEEKS[request.param], Purpose.SEND, environ=ENV)


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


def assert_same_message(fast: EmailMessage, slow: EmailMessage) -> None:
    for name in COMPARED_HEADERS:
        assert str(fast[name]) == str(slow[name]), name
    assert fast["To"].addresses == slow["To"].addresses
    assert fast.get_content_type() == slow.get_content_type() == "multipart/alternative"
    fast_parts, slow_parts = list(fast.iter_parts()), list(slow.iter_parts())
    assert [p.get_content_type() for p in fast_parts] == ["text/plain", "text/html"]
    assert [p.get_content_type() for p in slow_parts] == ["text/plain", "text/html"]
    for mine, theirs in zip(fast_parts, slow_parts, strict=True):
        assert mine.get_content_charset() == theirs.get_content_charset() == "utf-8"
        assert mine.get_content() == theirs.get_content()


def lf(text: str) -> str:
    """Parsed parts keep the wire's CRLF; rendered strings have LF."""
    return text.replace("\r\n", "\n")


def assert_wire_limits(data: bytes) -> None:
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"\n" not in data.replace(b"\r\n", b""), "bare LF"
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    assert all(len(line) <= 76 for line in body.split(b"\r\n")), "quoted-printable lines are at most 76"
    data.decode("ascii")  # everything 7-bit: names and non-ASCII text are encoded


@pytest.mark.parametrize(
    "recipient",
    [
        Recipient("ana@example.com", "Ana López", 42),
        Recipient("plain@example.com", "", 7),
        Recipient("smith@example.com", "Smith, John", 8),
        Recipient("q@example.com", 'The "Quoted" One', 9),
        Recipient("long@example.com", "A Very Long Name " * 6, 10),
    ],
)
def test_spliced_bytes_parse_like_the_email_package(prepared, recipient: Recipient):
    data = prepared.template.personalise(recipient)
    assert_same_message(parse(data), parse(prepared.template.reference_message(recipient).as_bytes()))
    assert_wire_limits(data)


@functools.cache
def meridian():
    return prepare_folder(SAMPLE_WEEKS["meridian"], Purpose.SEND, environ=ENV)


@settings(max_examples=80, deadline=None)
@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=90),
    local=st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,30}", fullmatch=True),
    subscriber_id=st.integers(min_value=1, max_value=2**40),
)
def test_any_name_and_address_splice_safely(name: str, local: str, subscriber_id: int):
    """Hostile names: '=', dots at line starts, markup, CR/LF, RTL marks, emoji, long runs."""
    prepared = meridian()
    recipient = Recipient(f"{local.strip('.')}x@example.com", clean_name(name), subscriber_id)
    data = prepared.template.personalise(recipient)
    fast = parse(data)
    assert_same_message(fast, parse(prepared.template.reference_message(recipient).as_bytes()))
    assert_wire_limits(data)
    assert data.wire == data.replace(b"\r\n.", b"\r\n..")  # stuffed from its pieces, as if searched
    if recipient.greeting:  # the first name (issue 12: 15)
        assert f"Hi {recipient.greeting}," in fast.get_body(("plain",)).get_content()


def test_markers_equal_a_full_render_for_each_recipient(prepared):
    """Rendering the theme per recipient (MJML and premailer each time) gives the same parts."""
    week = "tidewater" if "Tidewater" in prepared.issue.newsletter.name else "meridian"
    config = load_issue_config(SAMPLE_WEEKS[week])
    issue = compose_folder(SAMPLE_WEEKS[week]).issue
    theme = load_theme(config.theme_dir)
    values = link_values(issue, TEST_SECRET.encode())
    for recipient in (Recipient("ana@example.com", "Ana & <Bo>", 3), Recipient("b@example.com", "", 4)):
        v = values(recipient)
        links = RecipientLinks(
            unsubscribe=v.unsubscribe_url,
            view_online=v.view_online_url,
            name=v.name,
            preferences=v.preferences_url,
        )
        full = render_issue(issue, theme, links)
        spliced = parse(prepared.template.personalise(recipient))
        assert lf(spliced.get_body(("plain",)).get_content()) == full.text
        assert lf(spliced.get_body(("html",)).get_content()) == lf(full.html)


def test_each_recipient_gets_their_own_headers_and_links(prepared):
    a = parse(prepared.template.personalise(Recipient("a@example.com", "A", 1)))
    b = parse(prepared.template.personalise(Recipient("b@example.com", "B", 2)))
    assert a["Message-ID"] != b["Message-ID"]
    assert a["Message-ID"].endswith(f"@{prepared.sender.split('@')[1]}>")
    token_a = re.search(r"token=([\w.-]+)", str(a["List-Unsubscribe"])).group(1)
    token_b = re.search(r"token=([\w.-]+)", str(b["List-Unsubscribe"])).group(1)
    assert token_a != token_b
    assert token_a in a.get_body(("html",)).get_content()
    assert token_a in a.get_body(("plain",)).get_content()
    assert token_b not in a.as_string()
    https, mailto = (u.strip(" <>") for u in str(a["List-Unsubscribe"]).split(","))
    assert https.startswith(prepared.issue.newsletter.base_url + "/unsubscribe?token=")
    assert mailto.startswith("mailto:") and "subject=unsubscribe" in mailto
    assert a["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert a["List-Id"].endswith(f".{prepared.sender.split('@')[1]}>")


def test_non_ascii_names_and_subjects_are_encoded_in_headers(issue_dir: Path):
    toml = issue_dir / "issue.toml"
    toml.write_text(
        toml.read_text()
        .replace("Test Weekly", "Das Wöchentliche — Ausgabe für Leserinnen und Leser")
        .replace(
            "[issue]\n",
            '[issue]\nsubject = "Café, crème brûlée und Grüße aus Köln: 10 Dinge, die Sie wissen müssen"\n',
        )
    )
    prepared = prepare_folder(issue_dir, Purpose.SEND, environ=ENV)
    recipient = Recipient(
        "zoe@example.com", "Zoë Ångström-Łukasiewicz von und zu Hohenberg-Schwarzenstein", 5
    )
    data = prepared.template.personalise(recipient)
    assert_wire_limits(data)
    fast = parse(data)
    assert_same_message(fast, parse(prepared.template.reference_message(recipient).as_bytes()))
    assert fast["Subject"] == "Café, crème brûlée und Grüße aus Köln: 10 Dinge, die Sie wissen müssen"
    assert fast["From"].addresses[0].display_name == "Das Wöchentliche — Ausgabe für Leserinnen und Leser"
    assert fast["To"].addresses[0].display_name == recipient.name


def test_proofs_are_marked_and_carry_fresh_message_ids():
    proof = prepare_folder(SAMPLE_WEEKS["meridian"], Purpose.PROOF, environ=ENV)
    recipient = Recipient("editor@example.com")
    first, second = (parse(proof.template.personalise(recipient)) for _ in range(2))
    assert first["Subject"].startswith("[PROOF] ")
    assert first["Message-ID"] != second["Message-ID"]


def test_a_theme_without_an_unsubscribe_link_cannot_send(tmp_path: Path):
    theme = tmp_path / "theme"
    (theme / "partials").mkdir(parents=True)
    (theme / "partials" / "footer.mjml.j2").write_text(
        "<mj-section><mj-column><mj-text>No way out</mj-text></mj-column></mj-section>\n"
    )
    with pytest.raises(RenderError, match="no unsubscribe link"):
        prepare_folder(SAMPLE_WEEKS["meridian"], Purpose.SEND, theme=theme, environ=ENV)


def test_copies_do_not_parse_the_from_address_again(prepared, monkeypatch):
    """The From address is the issue's: its mailbox and domain are parsed once, not for each copy
    (email.utils.parseaddr costs ~10 us, a sixth of a copy's splice)."""
    from digest.deliver import message, send

    prepared.envelope_sender(Recipient("warm@example.com", "Warm", 1))  # the first copy may parse
    prepared.template.personalise(Recipient("warm@example.com", "Warm", 1))
    parsed: list[str] = []
    for module in (message, send):
        real = module.parseaddr
        monkeypatch.setattr(module, "parseaddr", lambda value, real=real: parsed.append(value) or real(value))
    for n in range(3):
        recipient = Recipient(f"reader{n}@example.com", f"Reader {n}", n + 2)
        prepared.envelope_sender(recipient)
        prepared.template.personalise(recipient)
    assert parsed == []


@pytest.mark.parametrize("name", [".Dot", "." * 200, "a" * 75 + ".b", "x\n.y"])
def test_the_stuffed_copy_equals_the_copy_stuffed(prepared, name: str):
    """A copy carries its dot-stuffed bytes (RFC 5321 4.5.2), made from pieces stuffed once per
    issue: the same as searching the whole copy, with lines starting with "." in the values too."""
    data = prepared.template.personalise(Recipient(".dot@example.com", clean_name(name), 7, first_name=name))
    assert data.wire == data.replace(b"\r\n.", b"\r\n..")
    assert dot_stuffed(data) == data.wire and dot_stuffed(bytes(data)) == data.wire

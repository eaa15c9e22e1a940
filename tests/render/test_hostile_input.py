"""Everything a story says is untrusted: it shows as text and never reaches a header raw."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from digest.compose import compose_issue
from digest.deliver.message import build_message
from digest.model import Newsletter, Story
from digest.pipeline import build_issue, render_folder
from digest.render import load_theme, render_issue
from digest.settings import IssueSettings
from tests.conftest import NEWSLETTER_TOML, write_story

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</mj-text></mj-column><mj-raw><script>alert(2)</script></mj-raw>",
    "{{ 7*7 }} {% raw %}",
]


def _assert_inert(html: str) -> None:
    doc = lxml_html.document_fromstring(html)
    assert not doc.xpath("//script")
    assert not doc.xpath("//@*[starts-with(name(), 'on')]")
    for img in doc.xpath("//img"):
        assert img.get("src", "").startswith("https://")


def test_hostile_titles_show_as_text(issue_dir: Path, tmp_path: Path):
    for n, payload in enumerate(PAYLOADS):
        write_story(
            issue_dir / "stories",
            f"hostile-{n}",
            f'title: {payload!r}\nurl: "https://evil.example/{n}"\nsponsor: {payload!r}\n'
            f'image: "https://evil.example/{n}.jpg"\nimage_alt: {payload!r}\nimage_credit: {payload!r}',
            body=payload + "\n\n[x](javascript:alert(1)) <iframe src=https://evil.example></iframe>",
        )
    result = build_issue(issue_dir, tmp_path / "out")
    html = result.rendered.html
    _assert_inert(html)
    doc = lxml_html.document_fromstring(html)
    assert not doc.xpath("//@href[contains(translate(., 'JAVSCRIPT', 'javscript'), 'javascript')]")
    assert "<iframe" not in html
    text = lxml_html.document_fromstring(html).text_content()
    # A title is text: shown literally, never interpreted.
    for payload in PAYLOADS:
        assert payload in text
    assert "{{ 7*7 }}" in text


def _story(title: str) -> Story:
    return Story(id="s", title=title, url="https://x.example/s", summary="<p>x</p>")


NEWSLETTER = Newsletter(
    name="N",
    publication="P",
    from_address="N <n@x.example>",
    base_url="https://x.example",
    postal_address="1 Street",
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(min_size=1, max_size=200).filter(lambda t: t.strip()))
def test_any_title_stays_inert_and_subject_stays_one_line(title: str):
    issue = compose_issue(NEWSLETTER, IssueSettings(date="2025-01-01"), [_story(title)])
    rendered = render_issue(issue, THEME)
    _assert_inert(rendered.html)
    message = build_message(rendered)
    raw = message.as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    subject = parsed["Subject"]
    assert "\n" not in subject and "\r" not in subject
    # Headers end at the first blank line: a title can never start a header or the body early.
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert len([h for h in head.split(b"\r\n") if h.lower().startswith(b"subject:")]) == 1


THEME = load_theme()


def test_newline_in_title_never_reaches_subject(issue_dir: Path, tmp_path: Path):
    (issue_dir / "issue.toml").write_text(
        (issue_dir / "issue.toml").read_text() + 'subject = "Hello\\nBcc: victim@example.com"\n'
    )
    rendered, _ = render_folder(issue_dir)
    raw = build_message(rendered).as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head
    assert b"Subject: Hello Bcc: victim@example.com" in head


def test_build_summary_prints_titles_literally(issue_dir: Path, tmp_path: Path):
    from click.testing import CliRunner

    from digest.cli import main

    write_story(
        issue_dir / "stories",
        "markup",
        'title: "[bold red]Not markup[/bold red] [link=https://evil.example]x[/link]"\n'
        'url: "https://x.example/m"\npriority: 99',
    )
    result = CliRunner().invoke(main, ["build", str(issue_dir), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "[bold red]Not markup[/bold red]" in result.output


# "Invoice for ‮fdp.exe" shows as "Invoice for exe.pdf": the override reverses what follows it.
DISGUISE = "\u202e"
DISGUISES = set("\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
DISGUISED_FEEDS = {
    "raw.rss": f"<item><title>Invoice for {DISGUISE}fdp.exe</title>",
    "entity.rss": "<item><title>Invoice for &amp;#x202E;fdp.exe \u2066&lt;b&gt;now&lt;/b&gt;\u2069</title>",
}


@pytest.mark.parametrize("feed", sorted(DISGUISED_FEEDS))
def test_a_bidi_override_in_a_feed_title_never_reaches_subject_title_or_h1(tmp_path: Path, feed: str):
    project = tmp_path / "project"
    (project / "issue").mkdir(parents=True)
    (project / feed).write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://t.example/</link>{DISGUISED_FEEDS[feed]}<link>https://t.example/invoice</link>"
        "<pubDate>Mon, 06 Jan 2025 12:00:00 GMT</pubDate></item></channel></rss>",
        encoding="utf-8",
    )
    (project / "digest.toml").write_text(
        NEWSLETTER_TOML + f'\n[[sources]]\nfeed = "{feed}"\n', encoding="utf-8"
    )
    (project / "issue" / "issue.toml").write_text("[issue]\ndate = 2025-01-08\n", encoding="utf-8")
    built = build_issue(project / "issue", tmp_path / "out")
    doc = lxml_html.document_fromstring(built.files["html"].read_text(encoding="utf-8"))
    subject = email.message_from_bytes(built.files["eml"].read_bytes(), policy=policy.default)["Subject"]
    shown = {"Subject": subject, "<title>": doc.findtext(".//title"), "<h1>": doc.xpath("string(//h1)")}
    for where, text in shown.items():
        assert "Invoice for fdp.exe" in text, where
        assert not DISGUISES.intersection(text), where

"""Each lint check, proven both ways: silent on the sample weeks, and firing on a realistic breakage.

Every breakage starts from a real rendered week and changes one thing, the way a theme edit, a
story file or a tool upgrade would.
"""

from __future__ import annotations

import time

import pytest

from digest.lint import CHECKS, EmailDocument, Level, lint_document, lint_rendered
from digest.model import RenderedIssue
from digest.pipeline import render_folder
from tests.conftest import SAMPLE_WEEKS

UNSUBSCRIBE = "https://newsletters.meridian-media.example/daily/unsubscribe"


@pytest.fixture(scope="module")
def meridian() -> RenderedIssue:
    rendered, _ = render_folder(SAMPLE_WEEKS["meridian"])
    return rendered


def swap(text: str, old: str, new: str, count: int = 1) -> str:
    assert old in text, f"the fixture no longer contains {old!r}"
    return text.replace(old, new, count)


def codes(rendered: RenderedIssue, html: str | None = None, **overrides) -> dict[str, Level]:
    fields = {"text": rendered.text, "subject": rendered.issue.subject, "issue": rendered.issue}
    fields.update(overrides)
    report = lint_document(EmailDocument(html if html is not None else rendered.html, **fields))
    return {finding.code: finding.level for finding in report.findings}


@pytest.mark.parametrize("week", sorted(SAMPLE_WEEKS))
def test_sample_weeks_lint_clean(week: str):
    rendered, _ = render_folder(SAMPLE_WEEKS[week])
    report = lint_rendered(rendered)
    assert report.findings == (), [f"{f.code}: {f.message}" for f in report.findings]


def test_every_check_is_registered_with_a_description():
    assert len(CHECKS) >= 20
    for entry in CHECKS.values():
        assert entry.description, entry.name


def test_findings_say_where_and_how_to_fix(meridian):
    html = swap(meridian.html, 'alt="Vladimir Putin speaking at a podium in the Kremlin" ', "")
    report = lint_document(EmailDocument(html, text=meridian.text, issue=meridian.issue))
    (finding,) = [f for f in report.findings if f.code == "img-alt-missing"]
    assert finding.level is Level.ERROR
    assert finding.where.startswith("line ") and "putin-kremlin.jpg" in finding.where
    assert finding.fix
    assert not report.ok


# --- the document -------------------------------------------------------------------------------------
def test_doctype(meridian):
    assert codes(meridian, swap(meridian.html, "<!doctype html>", ""))["doctype-missing"] is Level.ERROR


def test_lang_und_and_mismatch(meridian):
    html = swap(meridian.html, '<html lang="en"', '<html lang="und"')
    assert "lang-missing" in codes(meridian, html)
    html = swap(meridian.html, '<html lang="en"', '<html lang="fr"')
    assert "lang-mismatch" in codes(meridian, html)


def test_title(meridian):
    html = swap(meridian.html, f"<title>{meridian.issue.subject}</title>", "<title></title>")
    assert "title-missing" in codes(meridian, html)


def test_outlook_namespaces(meridian):
    html = swap(meridian.html, ' xmlns:v="urn:schemas-microsoft-com:vml"', "")
    assert set(codes(meridian, html)) >= {"xmlns-v-missing"}


def test_outlook_conditionals_balanced(meridian):
    html = swap(meridian.html, "<![endif]-->", "", count=1)
    assert "conditional-nested" in codes(meridian, html) or "conditional-unbalanced" in codes(meridian, html)
    html = swap(meridian.html, "</body>", "<![endif]--></body>")
    assert "conditional-unbalanced" in codes(meridian, html)


def test_outlook_conditionals_cost_time_in_proportion_to_the_page():
    """A page of 20,000 conditional comments is read in one pass (each used to rescan the page
    for its line number: seconds here, most of a full issue's lint), and a finding still names
    its line."""
    block = (
        "<!--[if mso]><table><tr><td><![endif]--><p>text</p>\n<!--[if mso]></td></tr></table><![endif]-->\n"
    )
    html = f"<html><body>{block * 10_000}<![endif]--></body></html>"
    started = time.process_time()
    findings = list(CHECKS["outlook-conditionals"].run(EmailDocument(html)))
    assert time.process_time() - started < 1.0
    assert [(f.code, f.where) for f in findings] == [("conditional-unbalanced", "line 20001")]


def test_layout_tables_need_role(meridian):
    html = swap(meridian.html, 'role="presentation"', "", count=-1)
    assert "table-role-missing" in codes(meridian, html)


# --- the preheader ----------------------------------------------------------------------------------
def test_preheader_missing(meridian):
    html = swap(meridian.html, 'class="preheader"', 'class="intro"')
    assert "preheader-missing" in codes(meridian, html)


def test_preheader_duplicate_and_not_first(meridian):
    html = swap(meridian.html, "</body>", '<div class="preheader" style="display:none">Again</div></body>')
    assert "preheader-duplicate" in codes(meridian, html)
    html = swap(meridian.html, '<div class="preheader"', '<p>Hello</p><div class="preheader"')
    assert "preheader-not-first" in codes(meridian, html)


def test_preheader_too_long(meridian):
    html = swap(meridian.html, meridian.issue.preheader, "Word " * 40)
    assert codes(meridian, html)["preheader-too-long"] is Level.ERROR


def test_preheader_low_contrast_trick(meridian):
    # What <mj-preview> emits: spam filters score tiny, white, transparent text.
    html = swap(
        meridian.html, 'style="display:none;', 'style="display:none;font-size:1px;color:#ffffff;opacity:0;'
    )
    assert "preheader-low-contrast-trick" in codes(meridian, html)
    html = swap(meridian.html, 'style="display:none;', 'style="')
    assert "preheader-visible" in codes(meridian, html)


# --- images -------------------------------------------------------------------------------------------
def test_image_alt_https_width(meridian):
    putin = "https://images.meridian-media.example/2025/01/putin-kremlin.jpg"
    assert "img-not-https" in codes(meridian, swap(meridian.html, putin, putin.replace("https", "http")))
    found = codes(meridian, swap(meridian.html, f'src="{putin}" width="600"', f'src="{putin}" width="100%"'))
    assert "img-width-missing" in found
    found = codes(meridian, swap(meridian.html, f'src="{putin}" width="600"', f'src="{putin}" width="800"'))
    assert "img-too-wide" in found
    found = codes(
        meridian, swap(meridian.html, 'alt="Vladimir Putin speaking at a podium in the Kremlin"', 'alt=""')
    )
    assert "img-alt-empty-link" in found, "the lead photo is a link: empty alt leaves it unnamed"


# --- readability --------------------------------------------------------------------------------------
def test_small_text(meridian):
    html = swap(meridian.html, "font-size:14px;line-height:1.55", "font-size:11px;line-height:1.55")
    assert codes(meridian, html)["text-too-small"] is Level.ERROR


def test_low_contrast(meridian):
    html = swap(meridian.html, "color:#555555;", "color:#aaaaaa;", count=-1)
    assert "contrast-low" in codes(meridian, html)


def test_heading_order(meridian):
    html = meridian.html.replace("<h3", "<h5").replace("</h3>", "</h5>")
    assert "heading-skipped" in codes(meridian, html)
    html = swap(meridian.html, "<h2", "<h1").replace("</h2>", "</h1>", 1)
    assert "heading-h1-repeated" in codes(meridian, html)


def test_click_here(meridian):
    html = swap(meridian.html, "Read the full story", "Click here")
    assert "link-text-vague" in codes(meridian, html)


# --- links --------------------------------------------------------------------------------------------
def test_link_schemes(meridian):
    html = swap(meridian.html, 'href="https://newsletters', 'href="http://newsletters')
    assert codes(meridian, html)["link-not-https"] is Level.WARNING
    html = swap(meridian.html, 'href="https://newsletters', 'href="javascript:alert(1)" data-x="')
    assert codes(meridian, html)["link-scheme"] is Level.ERROR


def test_duplicate_story_urls_in_html_only(meridian):
    lead = meridian.issue.lead.url
    other = meridian.issue.more_from[0].url
    html = meridian.html.replace(other, lead)
    assert "story-duplicate-url" in codes(meridian, html, issue=None)


# --- content ------------------------------------------------------------------------------------------
def test_subject(meridian):
    assert "subject-missing" in codes(meridian, subject="")
    assert codes(meridian, subject="A" * 61)["subject-too-long"] is Level.WARNING


def test_unsubscribe(meridian):
    html = swap(meridian.html, f'<a href="{UNSUBSCRIBE}"', '<span data-href="x"').replace(
        "Unsubscribe from Meridian Daily", "Manage preferences"
    )
    assert "unsubscribe-missing" in codes(meridian, html)


def test_postal_address(meridian):
    address = meridian.issue.newsletter.postal_address
    html = swap(meridian.html, address, "")
    assert "address-missing" in codes(meridian, html)
    assert "address-missing-text" in codes(meridian, text=meridian.text.replace(address, ""))
    # Without the issue's settings (an .html file), lint looks for an address-like footer line.
    assert "address-missing" not in codes(meridian, issue=None)
    html = swap(meridian.html, address, "Meridian Media").replace('footer address"', 'footer"')
    assert "address-missing" in codes(meridian, html, issue=None)


def test_text_part_stub_and_missing_story(meridian):
    stub = "View this issue in your browser: https://newsletters.meridian-media.example/daily\n"
    found = codes(meridian, text=stub)
    assert {"text-part-stub", "text-part-story-missing", "text-part-unsubscribe-missing"} <= set(found)
    missing = meridian.text.replace(meridian.issue.more_from[0].title, "Another title")
    assert "text-part-story-missing" in codes(meridian, text=missing)


def test_eml_without_text_part(meridian):
    assert "text-part-missing" in codes(meridian, text=None, headers={"Subject": "x"})


# --- budgets ------------------------------------------------------------------------------------------
def test_html_size_budget(meridian):
    filler = "<!-- " + "x" * 1000 + " -->"
    room = 95_000 - len(meridian.html.encode())
    near = swap(meridian.html, "</body>", filler * (room // len(filler)) + "</body>")
    assert codes(meridian, near)["html-near-clip"] is Level.WARNING
    over = swap(meridian.html, "</body>", filler * 60 + "</body>")
    assert codes(meridian, over)["html-too-large"] is Level.ERROR


def test_style_budget(meridian):
    rules = "".join(f".unused-{n} {{ color: #123456; }}\n" for n in range(700))
    html = swap(meridian.html, "</head>", f"<style>{rules}</style></head>")
    assert "style-too-large" in codes(meridian, html)


# --- dark mode and phones -----------------------------------------------------------------------------
def test_dark_mode(meridian):
    html = swap(meridian.html, '<meta name="color-scheme" content="light dark">', "")
    assert codes(meridian, html)["meta-color-scheme-missing"] is Level.WARNING
    html = meridian.html.replace("prefers-color-scheme: dark", "prefers-color-scheme: light")
    assert "dark-mode-rules-missing" in codes(meridian, html)
    html = meridian.html.replace(".dm-sponsored .label div", ".dm-sponsored .tag div")
    assert "dark-mode-uncovered" in codes(meridian, html)


def test_media_queries_must_keep_important(meridian):
    html = meridian.html.replace("!important", "")
    assert codes(meridian, html)["media-important-stripped"] is Level.ERROR


# --- CSS support --------------------------------------------------------------------------------------
def test_css_outside_the_baseline_is_reported(meridian):
    # The heading font's quoted names make the serialiser put this attribute in single quotes.
    html = swap(meridian.html, "<h1 style='", "<h1 style='display:flex; position:relative; ")
    found = codes(meridian, html)
    assert found["css-unsupported:css-display-flex"] is Level.WARNING
    assert "css-unsupported:css-position" in found
    assert all(level is Level.WARNING for level in found.values())


# --- hostile input ------------------------------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_markup = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<h1>",
            "</h3>",
            '<img src="http://x" width="9999">',
            '<a href="javascript:1">',
            "<style>@media (max-width:1px){a{color:red!important}}</style>",
            '<div style="color:#fff;font-size:0;background:url(x) rgba(0,0,0,.2)">',
            "<!--[if mso]>",
            "<![endif]-->",
            '<table role="x">',
            '<div class="preheader" style="display:none">',
            "&nbsp;",
            "\x00",
            "text",
        ]
    )
    | st.text(max_size=20),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(parts=_markup, text=st.none() | st.text(max_size=50), subject=st.none() | st.text(max_size=80))
def test_lint_never_crashes_on_hostile_html(parts, text, subject):
    report = lint_document(EmailDocument("".join(parts), text=text, subject=subject))
    assert all(f.code and f.where and f.fix for f in report.findings)

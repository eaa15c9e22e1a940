from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.markup import (
    fold_whitespace,
    html_to_text,
    markdown_to_html,
    plain_title,
    sanitize_html,
    strip_disguises,
    teaser,
    wrap,
)


def test_markdown_raw_html_is_escaped_not_rendered():
    html = markdown_to_html("Hi <script>alert(1)</script> <b>bold</b>")
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_sanitize_keeps_only_the_allow_list():
    dirty = '<p onclick="x()">a <img src=x onerror=y> <a href="/rel" style="c">l</a><table><tr><td>t'
    clean = sanitize_html(dirty, base_url="https://site.example/news/")
    assert clean.startswith("<p>a")
    assert "<img" not in clean and "onclick" not in clean and "style" not in clean
    assert '<a href="https://site.example/rel">l</a>' in clean


def test_dangerous_schemes_dropped():
    clean = sanitize_html('<a href="javascript:alert(1)">x</a><a href="data:text/html,x">y</a>')
    assert "javascript" not in clean and "data:" not in clean


def test_html_to_text_lists_links_once():
    paragraphs, links = html_to_text(
        '<p>See <a href="https://a.example">this</a> and <a href="https://a.example">that</a>.</p>'
        "<ul><li>one</li><li>two<br>lines</li></ul>"
    )
    assert paragraphs == ["See this [1] and that [1].", "- one\n- two\n  lines"]
    assert links == ["https://a.example"]


def test_lists_read_as_lists_with_hanging_indents():
    paragraphs, _ = html_to_text(
        "<ol><li>first</li><li>second, which is long enough to wrap onto another line</li></ol>"
        "<ul><li>outer<ul><li>inner</li></ul></li></ul>"
    )
    assert paragraphs == [
        "1. first\n2. second, which is long enough to wrap onto another line",
        "- outer\n  - inner",
    ]
    assert wrap(paragraphs[0], 32).splitlines() == [
        "1. first",
        "2. second, which is long enough",
        "   to wrap onto another line",
    ]


def test_plain_title_folds():
    assert plain_title(" <em>Big</em>\n news &amp;\tmore ") == "Big news & more"


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("Invoice for \u202efdp.exe", "Invoice for fdp.exe"),  # would read "Invoice for exe.pdf"
        ("Invoice for &#x202E;fdp.exe", "Invoice for fdp.exe"),  # the same, as an entity
        ("\u2067\u202bRLE\u202c in an isolate\u2069", "RLE in an isolate"),
        ("a\u200eb\u200fc\u061cd\u200be\ufefff\u2060g", "abcdefg"),
        ("zero-width \u200d\u200cjoiners\u200d at the edges\u200c", "zero-width joiners at the edges"),
        ("a \u202e b", "a b"),
    ],
)
def test_titles_lose_the_characters_that_disguise_text(title: str, shown: str):
    assert plain_title(title) == shown
    assert fold_whitespace(title.replace("&#x202E;", "\u202e")) == shown


def test_joiners_that_shape_words_and_emoji_stay():
    for text in (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        "\U0001f469\u200d\U0001f4bb",
        "\u0915\u094d\u200d\u0937",
    ):
        assert strip_disguises(text) == text == plain_title(text)


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_no_title_keeps_a_disguising_character(text: str):
    assert not set("\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") & set(
        plain_title(text)
    )


def test_teaser_cuts_at_a_word():
    assert teaser("one two three four", 9) == "one two…"
    assert teaser("short", 10) == "short"


@given(st.text(max_size=300), st.integers(min_value=5, max_value=120))
def test_teaser_never_exceeds_length(text: str, length: int):
    assert len(teaser(text, length)) <= length + 1


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=400))
def test_wrap_never_breaks_words_or_exceeds_width(text: str):
    for line in wrap(text, 40).splitlines():
        assert len(line) <= 40 or " " not in line.strip()


@given(
    st.text(
        alphabet=st.sampled_from("ab \t\n\r\x0b\x0c\x1c\x1f\x00\x7f\u00a0\u2003\u200b\u200c\u202e\u3000é"),
        max_size=30,
    )
)
def test_folding_is_the_regular_expressions(text: str) -> None:
    """fold_whitespace skips the disguise pass for ASCII and folds with str.split: the same
    line as stripping always and folding every \\s run (the way it was written first)."""
    import re

    from digest.markup import strip_controls, strip_disguises

    assert fold_whitespace(text) == re.sub(r"\s+", " ", strip_disguises(strip_controls(text))).strip()

"""Nothing a feed contains crashes gather: mangled real feeds and generated hostile entries.

Every outcome is either stories that keep their promises (one-line plain titles, http(s) links,
allow-listed summary HTML, aware dates) or a source reported as failed with a reason. An
"unexpected error" line means a bug, and fails these tests.

Search harder before a release: DIGEST_FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/gather/test_gather_fuzz.py
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.gather import GatherResult, gather_week
from digest.model import Source, SourceKind, SourceRules
from tests.gather.test_gather_feeds import ALLOWED_TAGS, FEEDS, NOW, WEEK, tags_in

FIXTURES = sorted(p.name for p in FEEDS.iterdir() if p.suffix != ".html")
STORY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
FUZZ = settings(
    max_examples=int(os.environ.get("DIGEST_FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as shared:  # never used: every source here is a local file
        yield shared


def gather_bytes(body: bytes, tmp_path: Path, client: httpx.Client, name: str = "feed.xml") -> GatherResult:
    path = tmp_path / name
    path.write_bytes(body)
    rules = SourceRules(sponsored_if_category=("Sponsored",), sponsored_if_match=re.compile("sponsor"))
    source = Source(kind=SourceKind.FEED, location=str(path), name="fuzz", rules=rules)
    return gather_week([source], WEEK, now=NOW, client=client)


def check(result: GatherResult) -> None:
    (report,) = result.report
    assert not report.error.startswith("unexpected error"), report.error
    assert "\n" not in report.error
    if report.failed:
        assert not result.stories
    for story in result.stories:
        assert story.title and story.title == story.title.strip()
        assert not CONTROL.search(story.title) and "\n" not in story.title
        assert re.match(r"^https?://[^\s]+$", story.url), story.url
        assert tags_in(story.summary) <= ALLOWED_TAGS, story.summary
        assert "\n" not in story.teaser and len(story.teaser) <= 161
        assert STORY_ID.match(story.id), story.id
        assert story.published is not None and story.published.tzinfo is not None
        assert WEEK.drop_reason(story.published) == ""
        if story.image is not None:
            assert re.match(r"^https?://", story.image.url)
            assert "\n" not in story.image.caption + story.image.credit + story.image.alt
        if story.is_sponsored:
            assert story.sponsor
        json.dumps(story.title + story.summary)  # always encodable text


@st.composite
def mangled(draw) -> tuple[str, bytes]:
    """A fixture feed with a few cuts, splices, stray bytes and duplicated runs."""
    name = draw(st.sampled_from(FIXTURES))
    body = bytearray((FEEDS / name).read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["cut", "insert", "flip", "repeat", "truncate"]))
        if action == "cut":
            del body[at : at + draw(st.integers(1, 200))]
        elif action == "insert":
            junk = draw(
                st.one_of(
                    st.binary(max_size=40),
                    st.sampled_from(
                        [b"<", b"]]>", b"&", b"&bogus;", b"<![CDATA[", b"\xff\xfe", b"\x00", b'"', b"{"]
                    ),
                )
            )
            body[at:at] = junk
        elif action == "flip" and body:
            body[min(at, len(body) - 1)] = draw(st.integers(0, 255))
        elif action == "repeat":
            body[at:at] = body[at : at + draw(st.integers(1, 400))]
        else:
            del body[at:]
    return name, bytes(body)


@FUZZ
@given(case=mangled())
def test_mangled_real_feeds(case, tmp_path_factory, client):
    name, body = case
    check(gather_bytes(body, tmp_path_factory.mktemp("fuzz"), client, name))


hostile_text = st.lists(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(["<", ">", "&", "\n", "\r", "\t", "\x1b", "\u2028", "]]>", "<script>", "&amp;"]),
        st.sampled_from(["<p>", "</p>", "<img src='/x.jpg'>", "<a href='javascript:x'>", "Sponsored"]),
    ),
    max_size=30,
).map("".join)
dates = st.one_of(
    st.sampled_from(
        [
            "Mon, 06 Jan 2025 12:00:00 GMT",
            "2025-01-05T10:00:00+14:00",
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-12:00",
            "yesterday",
            "",
            "Mon, 06 Jan 2025 12:00:00",
        ]
    ),
    hostile_text,
)


@FUZZ
@given(
    items=st.lists(
        st.tuples(hostile_text, hostile_text, hostile_text, dates, hostile_text, hostile_text), max_size=6
    ),
    cdata=st.booleans(),
)
def test_generated_rss_entries(items, cdata, tmp_path_factory, client):
    def field(text: str) -> str:
        text = "".join(c for c in text if c in "\t\n\r" or c >= " ")  # XML 1.0 allows no other controls
        if cdata and "]]>" not in text:
            return f"<![CDATA[{text}]]>"
        return escape(text)

    entries = "".join(
        f"<item><title>{field(title)}</title><link>{field('https://x.example/' + link)}</link>"
        f"<description>{field(summary)}</description><pubDate>{field(date)}</pubDate>"
        f"<category>{field(category)}</category><author>{field(author)}</author></item>"
        for title, link, summary, date, category, author in items
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://x.example/</link>{entries}</channel></rss>"
    ).encode()
    result = gather_bytes(body, tmp_path_factory.mktemp("rss"), client)
    check(result)
    if not items:
        assert result.report[0].error == "the feed has no entries"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=12,
)
json_items = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "url": st.one_of(hostile_text, st.just("https://x.example/a"), json_values),
        "title": st.one_of(hostile_text, json_values),
        "content_html": hostile_text,
        "summary": hostile_text,
        "image": st.one_of(hostile_text, st.just("javascript:alert(1)")),
        "date_published": dates,
        "tags": st.lists(hostile_text, max_size=3),
        "authors": st.lists(st.fixed_dictionaries({}, optional={"name": json_values}), max_size=2),
        "attachments": json_values,
    },
)


@FUZZ
@given(
    feed=st.one_of(
        st.fixed_dictionaries(
            {
                "version": st.just("https://jsonfeed.org/version/1.1"),
                "items": st.lists(json_items, max_size=5),
            },
            optional={"home_page_url": json_values, "title": json_values},
        ),
        json_values,
    )
)
def test_generated_json_feeds(feed, tmp_path_factory, client):
    body = json.dumps(feed).encode()
    check(gather_bytes(body, tmp_path_factory.mktemp("json"), client, "feed.json"))


def test_dates_at_the_ends_of_the_calendar_are_simply_outside_the_week(tmp_path: Path, client):
    # 0001-01-01T00:00+05:00 cannot even be converted to UTC; it must not crash anything.
    entries = "".join(
        f"<item><title>Edge of time {n}</title><link>https://x.example/edge-{n}</link>"
        f"<pubDate>{date}</pubDate></item>"
        for n, date in enumerate(["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-12:00"])
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{entries}</channel></rss>'
    result = gather_bytes(body.encode(), tmp_path, client)
    assert result.stories == ()
    assert dict(result.report[0].dropped) == {"published before the week": 1, "published after the week": 1}

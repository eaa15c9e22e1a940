"""From one feed entry to a Story: the rules every feed format shares.

Readers (RSS/Atom, JSON Feed) translate their format into an :class:`Entry`; everything that is
a judgement (which image, which kind, what the teaser says, what id the story gets) lives here,
so the formats cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from posixpath import splitext
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from lxml import etree
from lxml import html as lxml_html
from slugify import slugify

from digest.gather.readers.base import ReadContext, ReadResult
from digest.markup import fold_whitespace, plain_title, sanitize_html, summary_text, teaser
from digest.model import Image, SourceRules, Story, StoryKind
from digest.urls import absolute_http_url, without_tracking

SUMMARY_CHARACTERS = 700
"""A summary is a newsletter's blurb: full-text feeds are cut to their first paragraphs."""
TITLE_FROM_SUMMARY = 90
VIDEO_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "vimeo.com", "player.vimeo.com"}
)
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"})


def _plain(text: str) -> str:
    """plain_title, skipping the HTML parser for text that cannot hold a tag or an entity."""
    return plain_title(text) if "<" in text or "&" in text else fold_whitespace(text)


class UnusableEntry(Exception):
    """An entry that cannot become a story; the message is the reason the report counts."""


# Where an image was found, best first: the order of preference.
IMAGE_SOURCES = ("media", "enclosure", "itunes", "img")


@dataclass(frozen=True, slots=True)
class MediaItem:
    url: str
    found_in: str = "media"
    """One of IMAGE_SOURCES: media:content/thumbnail (or JSON Feed image), enclosure, itunes, img."""
    medium: str = ""
    mime: str = ""
    width: int = 0
    height: int = 0
    description: str = ""
    credit: str = ""
    title: str = ""
    duration: int | None = None
    """Seconds, for videos."""
    thumbnail: bool = False

    @property
    def is_image(self) -> bool:
        if self.thumbnail or self.medium == "image" or self.mime.startswith("image/"):
            return True
        if self.medium or self.mime:
            return False
        return splitext(urlsplit(self.url).path.lower())[1] in IMAGE_SUFFIXES

    @property
    def is_video(self) -> bool:
        return not self.thumbnail and (self.medium == "video" or self.mime.startswith("video/"))

    @property
    def area(self) -> int:
        return self.width * self.height


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry in the terms every format shares, before any judgement is made."""

    title: str
    link: str
    title_is_html: bool = True
    summary_html: str = ""
    """A short description (RSS description, Atom summary, JSON Feed summary as HTML)."""
    content_html: str = ""
    """The full text, where the feed carries it."""
    categories: tuple[str, ...] = ()
    author: str = ""
    published: dt.datetime | None = None
    media: tuple[MediaItem, ...] = ()
    base_url: str = ""
    """What relative links and image URLs resolve against."""
    video_id: str = ""
    """YouTube's yt:videoId, where present."""
    duration: int | None = None


def text_paragraphs(text: str) -> str:
    """Plain text as HTML paragraphs, split at blank lines."""
    return "".join(
        f"<p>{html.escape(p.strip(), quote=False)}</p>" for p in re.split(r"\n\s*\n", text) if p.strip()
    )


def _blocks(fragment: str) -> list[tuple[str, int]]:
    """Sanitised HTML as top-level blocks, each with its text length.

    Loose text and inline tags (a feed's plain description, YouTube's newline-separated text)
    become paragraphs split at blank lines; empty paragraphs (left by a removed <img>) go.
    """
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    blocks: list[tuple[str, int]] = []
    pending: list[str] = []

    def flush() -> None:
        for piece in re.split(r"\n\s*\n", "".join(pending)):
            if piece.strip():
                blocks.append((f"<p>{piece.strip()}</p>", len(summary_text(piece))))
        pending.clear()

    if root.text:
        pending.append(html.escape(root.text, quote=False))
    for child in root:
        tail, child.tail = child.tail, None
        if child.tag == "li":  # a list item outside any list
            child.tag = "p"
        if child.tag in ("p", "ul", "ol"):
            flush()
            length = len(fold_whitespace(child.text_content()))
            if length:
                blocks.append((etree.tostring(child, encoding="unicode", method="html"), length))
        else:
            pending.append(etree.tostring(child, encoding="unicode", method="html"))
        if tail:
            pending.append(html.escape(tail, quote=False))
    flush()
    return blocks


def summary_blocks(fragment: str, limit: int = SUMMARY_CHARACTERS) -> str:
    """Sanitised HTML in paragraphs, cut after the block that passes about ``limit`` characters."""
    if not fragment.strip():
        return ""
    kept: list[str] = []
    length = 0
    for block, size in _blocks(fragment):
        if kept and length + size > limit:
            break
        kept.append(block)
        length += size
    result = "".join(kept)
    if length > limit * 2:  # one enormous block: keep its words, lose its markup
        return f"<p>{html.escape(teaser(summary_text(result), limit), quote=False)}</p>"
    return result


def _first_img(fragments: Iterable[str]) -> MediaItem | None:
    """The first real <img> in the entry's own HTML (not a 1x1 tracking pixel)."""
    for fragment in fragments:
        if "<img" not in fragment.lower():
            continue
        try:
            root = lxml_html.fragment_fromstring(fragment, create_parent="div")
        except (etree.ParserError, ValueError):
            continue
        for img in root.iter("img"):
            src = (img.get("src") or "").strip()
            if not src or img.get("width") in ("0", "1") or img.get("height") in ("0", "1"):
                continue
            return MediaItem(url=src, found_in="img", medium="image", title=img.get("alt") or "")
    return None


def choose_image(media: Sequence[MediaItem], fragments: Iterable[str], base_url: str) -> MediaItem | None:
    """The best image by where it was found, then the largest; relative URLs resolved."""
    candidates = [m for m in media if m.is_image]
    if not candidates:
        img = _first_img(fragments)
        candidates = [img] if img is not None else []
    best: MediaItem | None = None
    best_rank: tuple[int, int] | None = None
    for item in candidates:
        url = absolute_http_url(item.url, base_url)
        if not url:
            continue
        rank = (IMAGE_SOURCES.index(item.found_in), -item.area)
        if best_rank is None or rank < best_rank:
            best, best_rank = replace(item, url=url), rank
    return best


def _is_video_link(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in VIDEO_HOSTS


def _duration_text(seconds: int | None) -> str:
    if not seconds or seconds < 0:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _matches_category(categories: Sequence[str], wanted: Sequence[str]) -> bool:
    folded = {fold_whitespace(c).casefold() for c in categories}
    return any(fold_whitespace(w).casefold() in folded for w in wanted)


def story_id(url: str, title: str) -> str:
    """A readable id that stays put while the link does: the link's slug, else the title's."""
    last = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    from_link = slugify(splitext(last)[0], max_length=80, word_boundary=True)
    if "-" in from_link and re.search(r"[a-z]", from_link):
        return from_link
    from_title = slugify(title, max_length=60, word_boundary=True)
    if from_title:
        return from_title
    return "story-" + hashlib.sha1(url.encode("utf-8")).hexdigest()[:10]


def _title(entry: Entry, summary: str) -> str:
    title = _plain(entry.title) if entry.title_is_html else fold_whitespace(entry.title)
    if not title:  # a title-less post (a microblog, a link post): its first words stand in
        title = teaser(summary_text(summary), TITLE_FROM_SUMMARY)
    if not title:
        raise UnusableEntry("no title")
    return title


def _caption(item: MediaItem, summary_plain: str) -> str:
    caption = _plain(item.description)
    # YouTube's media:description is the video's description, already the summary: not a caption.
    if caption and summary_plain and (caption == summary_plain or summary_plain.startswith(caption)):
        return ""
    return caption


def story_from_entry(entry: Entry, rules: SourceRules, timezone: ZoneInfo, source_label: str) -> Story:
    link = absolute_http_url(entry.link, entry.base_url)
    if not link:
        raise UnusableEntry("no http(s) link")
    link = without_tracking(link)

    raw_summary = entry.summary_html or entry.content_html
    summary = summary_blocks(sanitize_html(raw_summary, base_url=entry.base_url or link))
    summary_plain = summary_text(summary)
    title = _title(entry, summary)

    chosen = choose_image(entry.media, (entry.content_html, entry.summary_html), entry.base_url or link)
    image = None
    if chosen is not None:
        image = Image(
            url=chosen.url,
            alt=_plain(chosen.title),
            credit=_plain(chosen.credit),
            caption=_caption(chosen, summary_plain),
        )

    author = _plain(entry.author)
    sponsored = _matches_category(entry.categories, rules.sponsored_if_category) or bool(
        rules.sponsored_if_match is not None
        and (rules.sponsored_if_match.search(title) or rules.sponsored_if_match.search(link))
    )
    video_media = [m for m in entry.media if m.is_video]
    if sponsored:
        kind = StoryKind.SPONSORED
    elif entry.video_id or video_media or _is_video_link(link):
        kind = StoryKind.VIDEO
    else:
        kind = StoryKind.ARTICLE
    sponsor = (fold_whitespace(rules.sponsor) or author) if sponsored else ""
    if sponsored and not sponsor:
        raise UnusableEntry("sponsored, but no sponsor name (set sponsor for the source)")
    duration = entry.duration or next((m.duration for m in video_media if m.duration), None)

    sponsor_categories = {fold_whitespace(c).casefold() for c in rules.sponsored_if_category}
    categories = (_plain(c) for c in entry.categories)
    section = fold_whitespace(rules.section) or next(
        (c for c in categories if c and c.casefold() not in sponsor_categories), ""
    )
    published = entry.published
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=timezone)
    return Story(
        id=story_id(link, title),
        title=title,
        url=link,
        summary=summary,
        image=image,
        kind=kind,
        sponsor=sponsor,
        published=published,
        section=section,
        author=author,
        duration=_duration_text(duration) if kind is StoryKind.VIDEO else "",
        source=source_label,
        teaser=teaser(summary_plain, rules.teaser_length),
    )


def keep_entry(result: ReadResult, context: ReadContext, entry: Entry) -> None:
    """Add the entry's story to ``result``, or count it as dropped: outside the window, or unusable."""
    if skipped := context.skip_reason(entry.published):
        result.dropped[skipped] += 1
        return
    try:
        story = story_from_entry(entry, context.source.rules, context.timezone, context.source.label)
    except UnusableEntry as e:
        result.dropped[str(e)] += 1
        return
    result.stories.append(story)


def parse_date(text: str) -> dt.datetime | None:
    """An RFC 822 (RSS) or ISO 8601 / RFC 3339 (Atom, JSON Feed) date, keeping its own offset."""
    text = fold_whitespace(text)
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None

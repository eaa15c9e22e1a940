"""RSS 0.9x/1.0/2.0 and Atom through feedparser, which copes with the feeds the world really serves."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar

import feedparser

from digest.errors import SourceError
from digest.gather.readers.base import Document, ReadContext, ReadResult
from digest.gather.readers.entries import Entry, keep_entry, parse_date
from digest.gather.readers.feed_tree import FeedTree
from digest.gather.readers.media import MediaItem
from digest.gather.readers.taken import NOTHING, Taken
from digest.urls import absolute_http_url

_DATE_KEYS = ("published", "updated", "created")


def _describe_problem(error: BaseException | None) -> str:
    if error is None:
        return "unknown problem"
    text = str(error).replace("<unknown>:", "line ", 1) if str(error) else type(error).__name__
    return " ".join(text.split())[:200]


def _seconds(value: Any) -> int | None:
    """itunes:duration: "272", "4:32" or "1:04:32"."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        total = 0
        for part in value.strip().split(":"):
            total = total * 60 + int(float(part))
        return total
    except ValueError:
        return None


def _as_html(detail: Mapping[str, Any] | None, value: str) -> str:
    kind = (detail or {}).get("type", "text/html")
    return f"<p>{html.escape(value)}</p>" if kind == "text/plain" and value.strip() else value


def _content_html(raw: Mapping[str, Any]) -> str:
    contents = [c for c in raw.get("content") or [] if isinstance(c, Mapping)]
    for content in contents:
        if content.get("type") in ("text/html", "application/xhtml+xml"):
            return str(content.get("value") or "")
    return _as_html(contents[0], str(contents[0].get("value") or "")) if contents else ""


def _summary_html(raw: Mapping[str, Any]) -> str:
    summary = str(raw.get("summary") or "")
    detail = raw.get("summary_detail")
    # feedparser lets a media:description overwrite summary_detail; its type then says nothing.
    if isinstance(detail, Mapping) and detail.get("value") == summary:
        return _as_html(detail, summary)
    return summary


def _published(raw: dict[str, Any]) -> tuple[dt.datetime | None, bool]:
    """The entry's date with its own offset, and whether it had a date we could not read."""
    unreadable = False
    for key in _DATE_KEYS:
        # dict.get, not raw.get: feedparser's own lookup maps a missing "updated" to "published"
        # with a DeprecationWarning; here each key is asked for on its own.
        text = dict.get(raw, key)
        if not isinstance(text, str) or not text.strip():
            continue
        parsed = parse_date(text)
        if parsed is not None:
            return parsed, False
        struct = dict.get(raw, f"{key}_parsed")
        if isinstance(struct, time.struct_time):  # feedparser read it (in UTC), we could not
            try:
                return dt.datetime(*struct[:6], tzinfo=dt.UTC), False
            except (ValueError, OverflowError):
                pass
        unreadable = True
    return None, unreadable


def _flattened_media(raw: Mapping[str, Any]) -> tuple[MediaItem, ...]:
    """feedparser's own media lists, when the per-entry pass could not line up with its entries."""
    credits = {
        str(c.get("content") or "").strip()
        for c in raw.get("media_credit") or []
        if isinstance(c, Mapping) and c.get("content")
    }
    credit = credits.pop() if len(credits) == 1 else ""
    items = []
    for key, thumbnail in (("media_content", False), ("media_thumbnail", True)):
        for media in raw.get(key) or []:
            if not isinstance(media, Mapping) or not media.get("url"):
                continue
            items.append(
                MediaItem(
                    url=str(media["url"]),
                    medium=str(media.get("medium") or "").lower(),
                    mime=str(media.get("type") or "").lower(),
                    width=_int(media.get("width")),
                    height=_int(media.get("height")),
                    credit=credit,
                    duration=_int(media.get("duration")) or None,
                    thumbnail=thumbnail,
                )
            )
    return tuple(items)


def _int(value: Any) -> int:
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError, OverflowError):
        return 0


def _other_media(raw: Mapping[str, Any]) -> list[MediaItem]:
    items = []
    for enclosure in raw.get("enclosures") or []:
        if isinstance(enclosure, Mapping) and enclosure.get("href"):
            mime = str(enclosure.get("type") or "").lower()
            items.append(MediaItem(url=str(enclosure["href"]), found_in="enclosure", mime=mime))
    image = raw.get("image")
    if isinstance(image, Mapping) and image.get("href"):
        items.append(MediaItem(url=str(image["href"]), found_in="itunes", medium="image"))
    return items


_EMAIL_AND_NAME = re.compile(r"^\s*\S+@\S+\s*\((?P<name>.+)\)\s*$")


def _author(raw: Mapping[str, Any]) -> str:
    """The author's name. RSS says "email (Name)"; feedparser mangles that when Name is not ASCII."""
    author = str(raw.get("author") or "")
    match = _EMAIL_AND_NAME.match(author)
    if match:
        return match["name"]
    if "@" in author and " " not in author.strip():
        return ""  # an address alone is not a name to print
    if author:
        return author
    detail = raw.get("author_detail")
    return str(detail.get("name") or "") if isinstance(detail, Mapping) else ""


def _entry(
    raw: dict[str, Any],
    media: tuple[MediaItem, ...],
    base_url: str,
    media_description: str = "",
    taken: Taken = NOTHING,
) -> tuple[Entry, bool]:
    """The entry in shared terms, with what FeedTree took out of it before feedparser read it."""
    # A plain dict's lookups: FeedParserDict's own (aliases, computed keys) cost a microsecond
    # each, and none of these keys is an alias; the computed "enclosures" is read from raw.
    fields = dict(raw)
    title_detail = fields.get("title_detail")
    title_type = title_detail.get("type") if isinstance(title_detail, Mapping) else "text/html"
    published, unreadable_date = (taken.published, False) if taken.published else _published(fields)
    entry = Entry(
        title=str(fields.get("title") or ""),
        title_is_html=title_type != "text/plain",
        # FeedBurner rewrites links to its own (long dead) feedproxy host; the original is kept here.
        link=str(fields.get("feedburner_origlink") or fields.get("link") or ""),
        summary_html=_summary_html(fields) or media_description,
        content_html=taken.full_text or _content_html(fields),
        categories=tuple(
            str(dict.get(tag, "term") or dict.get(tag, "label") or "")
            for tag in fields.get("tags") or []
            if isinstance(tag, dict)
        ),
        author=_author(fields),
        published=published,
        media=(*media, *_other_media(raw)),
        base_url=base_url,
        video_id=str(fields.get("yt_videoid") or ""),
        duration=_seconds(fields.get("itunes_duration")),
    )
    return entry, unreadable_date


def _feedparser(body: bytes, content_type: str) -> feedparser.FeedParserDict:
    headers = {"content-type": content_type} if content_type else {}
    try:
        # A file-like object, never bytes: feedparser treats bytes that name a file as its path.
        return feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            resolve_relative_uris=False,  # we resolve links ourselves, against the feed's link
            sanitize_html=False,  # nh3 sanitises every summary with a tighter allow-list
        )
    except (ValueError, LookupError, UnicodeError) as e:
        # feedparser reports most damage as "bozo", but raises for some (a NUL in the name of
        # the declared encoding, found by tests/test_gather_fuzz.py).
        raise SourceError(f"feed cannot be read ({_describe_problem(e)})") from None


_SPACE_BEFORE_DECLARATION = re.compile(rb"^(?:\xef\xbb\xbf)?[ \t\r\n]+(?=<\?xml)")


def _without_space_before_declaration(body: bytes) -> bytes:
    """Blank lines before `<?xml` (a common CMS slip) make the feed ill-formed to the letter, so
    every parser complains on every run; dropping them changes nothing a reader would see."""
    return _SPACE_BEFORE_DECLARATION.sub(b"", body, count=1)


class RssAtomReader:
    """Any XML feed feedparser understands; the registry's last resort."""

    format: ClassVar[str] = "rss/atom"

    def accepts(self, document: Document) -> bool:
        return True

    def read(self, document: Document, context: ReadContext) -> ReadResult:
        body, content_type = _without_space_before_declaration(document.body), document.content_type
        tree = FeedTree.parse(body, document.charset)
        pruned: Counter[str] = Counter()
        media = None
        taken: list[Taken] = []
        if tree is not None:
            pruned = tree.prune(context.skip_reason)
            media = tree.media_per_entry()
            # feedparser reads only what is left of a well-formed feed, re-encoded as UTF-8: the
            # entries in the window, without the Media RSS, full texts and dates read here already.
            stripped = tree.strict and tree.strip_media()
            taken = tree.lighten()
            if tree.strict and (stripped or pruned or any(t != NOTHING for t in taken)):
                body, content_type = tree.serialize(), document.content_type.split(";")[0]
        parsed = _feedparser(body, content_type)
        raw_entries = list(parsed.get("entries") or [])
        total = len(raw_entries) + pruned.total()
        result = ReadResult(entries=total, dropped=pruned)
        if parsed.get("bozo"):
            problem = _describe_problem(parsed.get("bozo_exception"))
            if not total:
                kind = "not a feed" if not parsed.get("version") else "feed cannot be read"
                raise SourceError(f"{kind} ({problem})")
            result.warnings.append(
                f"feed has errors ({problem}); used the {total} entries that could be read"
            )
        if not total:
            raise SourceError("the feed has no entries" if parsed.get("version") else "not a feed")
        if media is not None and len(media) != len(raw_entries):
            # The two parsers disagree about the entries: use feedparser's lists (a full text taken
            # out is lost with them: it could only have given a picture, the summary is there).
            media, taken = None, []

        feed = parsed.get("feed") or {}
        base_url = absolute_http_url(str(feed.get("link") or ""), document.base_url) or document.base_url
        unreadable_dates = 0
        for index, raw in enumerate(raw_entries):
            if media is not None:
                entry, unreadable = _entry(
                    raw,
                    media[index].items,
                    base_url,
                    media[index].description_html,
                    taken[index] if taken else NOTHING,
                )
            else:
                entry, unreadable = _entry(raw, _flattened_media(raw), base_url)
            unreadable_dates += unreadable
            keep_entry(result, context, entry)
        if unreadable_dates:
            result.warnings.append(f"{unreadable_dates} entries have a date that could not be read")
        return result

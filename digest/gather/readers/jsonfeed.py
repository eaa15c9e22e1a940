"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

import codecs
import json
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from digest.errors import SourceError
from digest.gather.readers.base import Document, ReadContext, ReadResult
from digest.gather.readers.entries import Entry, keep_entry, parse_date
from digest.gather.readers.media import MediaItem
from digest.gather.readers.summary import text_paragraphs
from digest.urls import absolute_http_url

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class _Lenient(BaseModel):
    # Extensions (keys starting with "_") and keys from later versions are allowed by the spec.
    model_config = ConfigDict(extra="ignore")


class JsonFeedAuthor(_Lenient):
    name: str = ""


class JsonFeedAttachment(_Lenient):
    url: str
    mime_type: str = ""
    title: str = ""
    duration_in_seconds: float | None = None


class JsonFeedItem(_Lenient):
    id: str | int | None = None
    url: str = ""
    external_url: str = ""
    title: str = ""
    content_html: str = ""
    content_text: str = ""
    summary: str = ""
    """Plain text, per the spec."""
    image: str = ""
    banner_image: str = ""
    date_published: str = ""
    date_modified: str = ""
    authors: list[JsonFeedAuthor] = []
    author: JsonFeedAuthor | None = None
    """JSON Feed 1.0's single author."""
    tags: list[str] = []
    attachments: list[JsonFeedAttachment] = []


def _decode(document: Document) -> Any:
    body = document.body
    charset = document.charset
    try:
        if charset and not body.startswith(_BOMS):
            return json.loads(body.decode(charset))
        return json.loads(body)  # UTF-8/16/32, with or without a BOM
    except LookupError:
        raise SourceError(f"declares an unknown charset {charset!r}") from None
    except UnicodeDecodeError as e:
        raise SourceError(f"not valid {e.encoding} text at byte {e.start}") from None
    except (ValueError, RecursionError) as e:
        raise SourceError(f"not valid JSON ({str(e)[:120]})") from None


def _entry(item: JsonFeedItem, base_url: str) -> Entry:
    authors = [*item.authors, *([item.author] if item.author else [])]
    media = [MediaItem(url=url, medium="image") for url in (item.image, item.banner_image) if url]
    for attachment in item.attachments:
        media.append(
            MediaItem(
                url=attachment.url,
                found_in="enclosure",
                mime=attachment.mime_type.lower(),
                title=attachment.title,
                duration=int(attachment.duration_in_seconds or 0) or None,
            )
        )
    return Entry(
        title=item.title,
        title_is_html=False,  # JSON Feed titles are plain text
        link=item.url or item.external_url,
        summary_html=text_paragraphs(item.summary),
        content_html=item.content_html or text_paragraphs(item.content_text),
        categories=tuple(item.tags),
        author=next((a.name for a in authors if a.name), ""),
        published=parse_date(item.date_published) or parse_date(item.date_modified),
        media=tuple(media),
        base_url=base_url,
    )


class JsonFeedReader:
    format: ClassVar[str] = "jsonfeed"

    def accepts(self, document: Document) -> bool:
        if "json" in document.content_type.lower():
            return True
        start = document.body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
        return start.startswith(b"{")

    def read(self, document: Document, context: ReadContext) -> ReadResult:
        data = _decode(document)
        if not isinstance(data, dict):
            raise SourceError("not a JSON Feed (the document is not a JSON object)")
        version = data.get("version")
        items = data.get("items")
        if not isinstance(items, list):
            raise SourceError("not a JSON Feed (no items list)")
        result = ReadResult(entries=len(items))
        if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
            result.warnings.append("no JSON Feed version; read it as JSON Feed 1.1")
        if not items:
            raise SourceError("the feed has no entries")
        home = data.get("home_page_url")
        base_url = absolute_http_url(home if isinstance(home, str) else "", document.base_url)
        base_url = base_url or document.base_url
        for raw in items:
            try:
                item = JsonFeedItem.model_validate(raw)
            except ValidationError as e:
                first = e.errors()[0]
                where = ".".join(str(part) for part in first["loc"]) or "item"
                result.dropped[f"invalid item ({where}: {first['msg']})"] += 1
                continue
            entry = _entry(item, base_url)
            keep_entry(result, context, entry)
        return result

"""One web page's story metadata: what OpenGraph, Twitter cards, JSON-LD (`NewsArticle` and its
kin) and microdata say about it, read with extruct; else its <title>, <meta name=description> and
<link rel=canonical>. Every value is page-supplied text, so titles are folded to plain text, the
summary goes through the summary sanitiser and every link must be an absolute http(s) URL."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import extruct
import lxml.html
from lxml import etree

from digest.markup import fold_whitespace, plain_title, sanitize_html
from digest.urls import absolute_http_url

SYNTAXES = ["opengraph", "json-ld", "microdata"]
ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle"}
)


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What a page says about itself; "" (or None) where it says nothing usable."""

    title: str = ""
    url: str = ""
    """The canonical URL, absolute http(s)."""
    summary: str = ""
    """Sanitised HTML (the summary allow-list)."""
    image: str = ""
    image_alt: str = ""
    published: dt.datetime | None = None
    author: str = ""
    section: str = ""


def _first_text(*values: object) -> str:
    for value in values:
        if isinstance(value, list):
            value = next(iter(value), "")
        if isinstance(value, Mapping):
            value = value.get("name") or value.get("@id") or value.get("url") or ""
        text = fold_whitespace(str(value)) if isinstance(value, str | int | float) else ""
        if text:
            return text
    return ""


def _opengraph(data: Mapping[str, list[Any]]) -> dict[str, str]:
    """OpenGraph and Twitter card properties, first value of each (extruct keeps <meta property>;
    Twitter's <meta name> tags are read from the tree, see _meta_tags)."""
    found: dict[str, str] = {}
    for item in data.get("opengraph", []):
        for key, value in item.get("properties", []):
            found.setdefault(str(key), fold_whitespace(str(value)))
    return found


def _walk_items(value: object) -> Iterator[Mapping[str, Any]]:
    """Every JSON-LD object, @graph members and nested lists included."""
    if isinstance(value, list):
        for item in value:
            yield from _walk_items(item)
    elif isinstance(value, Mapping):
        yield value
        yield from _walk_items(value.get("@graph", []))


def _types(item: Mapping[str, Any]) -> set[str]:
    kind = item.get("@type") or item.get("type") or []
    names = kind if isinstance(kind, list) else [kind]
    return {str(name).rsplit("/", 1)[-1] for name in names}


def _article(data: Mapping[str, list[Any]]) -> Mapping[str, Any]:
    """The first article described in JSON-LD or microdata (microdata's properties flattened)."""
    for item in _walk_items(data.get("json-ld", [])):
        if _types(item) & ARTICLE_TYPES:
            return item
    for item in data.get("microdata", []):
        if isinstance(item, Mapping) and _types(item) & ARTICLE_TYPES:
            return {**item.get("properties", {}), "@type": item.get("type")}
    return {}


def _meta_tags(tree: etree._Element) -> dict[str, str]:
    """<meta name|property=... content=...>, first of each, names lowercased."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        if name and meta.get("content"):
            found.setdefault(name, fold_whitespace(meta.get("content", "")))
    return found


def _date(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _image(article: Mapping[str, Any], og: Mapping[str, str], meta: Mapping[str, str]) -> tuple[str, str]:
    picture = article.get("image")
    if isinstance(picture, list):
        picture = next(iter(picture), None)
    alt = ""
    if isinstance(picture, Mapping):
        alt = _first_text(picture.get("caption"), picture.get("description"))
        picture = picture.get("url") or picture.get("contentUrl")
    url = _first_text(og.get("og:image"), og.get("og:image:url"), meta.get("twitter:image"), picture)
    alt = _first_text(og.get("og:image:alt"), meta.get("twitter:image:alt"), alt)
    return url, alt


def _summary(description: str, url: str) -> str:
    """A description as one sanitised paragraph: pages put markup and entities in it as often as
    not, so it is read as HTML, kept as its text, and escaped again."""
    text = plain_title(description)
    return sanitize_html(f"<p>{html.escape(text)}</p>", base_url=url) if text else ""


def read_page_metadata(body: bytes, url: str) -> PageMetadata:
    """The story metadata of the page at ``url`` (its final address, after redirects)."""
    tree = lxml.html.document_fromstring(body)
    data = extruct.extract(tree, base_url=url, syntaxes=SYNTAXES, uniform=False, errors="ignore")
    og, meta, article = _opengraph(data), _meta_tags(tree), _article(data)
    canonical = next(
        (link.get("href", "") for link in tree.iter("link") if link.get("rel") == "canonical"), ""
    )
    title_tag = _first_text(tree.findtext(".//title") or "")
    title = _first_text(og.get("og:title"), meta.get("twitter:title"), article.get("headline"), title_tag)
    description = _first_text(
        og.get("og:description"),
        meta.get("twitter:description"),
        article.get("description"),
        meta.get("description"),
    )
    image, image_alt = _image(article, og, meta)
    published = _first_text(
        og.get("article:published_time"), meta.get("article:published_time"), article.get("datePublished")
    )
    return PageMetadata(
        title=plain_title(title),
        url=absolute_http_url(_first_text(canonical, og.get("og:url"), article.get("url")), url),
        summary=_summary(description, url),
        image=absolute_http_url(image, url),
        image_alt=image_alt if image else "",
        published=_date(published),
        author=_first_text(article.get("author"), meta.get("author"), og.get("article:author")),
        section=_first_text(og.get("article:section"), article.get("articleSection")),
    )

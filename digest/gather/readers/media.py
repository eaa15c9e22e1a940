"""An entry's pictures and videos, wherever the feed put them, and the one image its story shows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from posixpath import splitext
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

from digest.model import Image
from digest.urls import absolute_http_url, through_image_base

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"})

# Where an image was found, best first: the order of preference.
IMAGE_SOURCES = ("media", "enclosure", "itunes", "img")
_PIXELS = re.compile(r"(\d{1,5})(?:px)?")


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


def _pixels(value: str | None) -> int:
    """An <img width> as whole px: "150" or "150px"; 0 for a percentage, "auto" or nonsense."""
    match = _PIXELS.fullmatch((value or "").strip().lower())
    return int(match[1]) if match else 0


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
            return MediaItem(
                url=src,
                found_in="img",
                medium="image",
                title=img.get("alt") or "",
                width=_pixels(img.get("width")),
            )
    return None


def choose_image(media: Sequence[MediaItem], fragments: Iterable[str], base_url: str) -> MediaItem | None:
    """The best image by where it was found, the picture before its thumbnail, then the largest;
    relative URLs resolved."""
    candidates = [m for m in media if m.is_image]
    if not candidates:
        img = _first_img(fragments)
        candidates = [img] if img is not None else []
    best: MediaItem | None = None
    best_rank: tuple[int, bool, int] | None = None
    for item in candidates:
        url = absolute_http_url(item.url, base_url)
        if not url:
            continue
        # A media:thumbnail is the preview of a bigger picture: the picture wins, sized or not.
        rank = (IMAGE_SOURCES.index(item.found_in), item.thumbnail, -item.area)
        if best_rank is None or rank < best_rank:
            best, best_rank = replace(item, url=url), rank
    return best


def secure_image(image: Image | None, image_base: str) -> tuple[Image | None, str]:
    """The picture as an email may show it, and its URL if it had to be left out.

    An http:// picture is blocked or flagged by mail clients (and fails `digest lint`): it is shown
    through ``image_base`` (an https image proxy) when there is one, else left out. Which host
    would serve it over https cannot be known without asking it, so no upgrade is guessed.
    """
    if image is None or urlsplit(image.url).scheme.lower() != "http":
        return image, ""
    if image_base:
        return replace(image, url=through_image_base(image.url, image_base)), ""
    return None, image.url

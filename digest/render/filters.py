"""Jinja2 filters the theme uses. Each returns escaped text or Markup that has been sanitised."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from digest.markup import html_to_text, sanitize_html, wrap
from digest.model import Image, Story
from digest.render.links import UtmTagger

TEXT_WIDTH = 78


def summary_html(fragment: str) -> Markup:
    # Summaries are sanitised when read; cleaning again here means a theme can never be the hole.
    return Markup(sanitize_html(fragment))


def as_text(fragment: str, width: int = TEXT_WIDTH) -> str:
    """Summary HTML → wrapped paragraphs, then its links as "[n] URL" lines."""
    paragraphs, links = html_to_text(fragment)
    blocks = [wrap(p, width) for p in paragraphs]
    if links:
        blocks.append("\n".join(f"[{n}] {url}" for n, url in enumerate(links, start=1)))
    return "\n\n".join(blocks)


def longdate(value: dt.date) -> str:
    return f"{value:%A}, {value.day} {value:%B %Y}"


def host(url: str) -> str:
    return urlsplit(url).netloc


def alt_text(image: Image, story: Story) -> str:
    return image.alt or image.caption or story.title


LEAD_PHOTO_MIN_WIDTH = 480
"""A lead's picture spans the email when declared at least this wide (or of unknown size, as
always): a narrower one, such as a feed's 150 px thumbnail, sits beside the lead's text instead."""


def shown_width(image: Image, room: int) -> int:
    """The px to show ``image`` at in a slot ``room`` px wide: never wider than it is declared."""
    return min(image.width, room) if image.width else room


def is_lead_photo(image: Image) -> bool:
    """Whether ``image`` is wide enough to span the lead (see LEAD_PHOTO_MIN_WIDTH)."""
    return not image.width or image.width >= LEAD_PHOTO_MIN_WIDTH


def video_label(story: Story) -> str:
    """What marks a video in the email, with its running time where known: "Video · 4:32"."""
    return f"Video · {story.duration}" if story.duration else "Video"


def photo_line(image: Image | None) -> str:
    if image is None or not (image.caption or image.credit):
        return ""
    if image.caption and image.credit:
        return f"[Photo] {image.caption} (Photo: {image.credit})"
    return f"[Photo] {image.caption}" if image.caption else f"[Photo: {image.credit}]"


@jinja2.pass_context
def track(context: jinja2.runtime.Context, url: str, slot: str, sponsored: bool = False) -> str:
    """A story link with UTM parameters for its slot, when the issue's settings ask for them; with
    [tracking] clicks on, rendered for delivery, the marker of its counted link."""
    tagger: UtmTagger | None = context.get("utm")
    tagged = tagger.tag(url, slot, sponsored=sponsored) if tagger is not None else url
    tracker = getattr(context.get("links"), "tracker", None)
    return tracker.mark(tagged, slot) if tracker is not None else tagged


def install(env: jinja2.Environment) -> None:
    env.filters.update(
        summary_html=summary_html,
        as_text=as_text,
        longdate=longdate,
        host=host,
        alt_text=alt_text,
        photo_line=photo_line,
        video_label=video_label,
        track=track,
        shown_width=shown_width,
        wrap=lambda text, width=TEXT_WIDTH: wrap(text, width),
    )
    env.tests["lead_photo"] = is_lead_photo

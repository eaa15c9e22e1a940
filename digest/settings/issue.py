"""`[issue]` and `[stories.<id>]` (issue.toml only): the editor's choices for one issue."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from digest.settings.table import Table, check_http_url, unique_items


class IssueSettings(Table):
    date: dt.date
    """The day the issue goes out."""
    subject: str | None = None
    """Defaults to the lead story's title."""
    preheader: str | None = None
    """The line inboxes show after the subject. Defaults to the lead's teaser."""
    lead: str | None = None
    """Id of the story to pin as lead."""
    intro: str = ""
    """An editor's note above the lead (Markdown)."""
    order: list[str] = Field(default_factory=list)
    """Story ids placed first in More from, in this order; the rest follow by priority, then newest."""
    exclude: list[str] = Field(default_factory=list)
    """Story ids left out of this issue."""

    _check_unique_ids = field_validator("order", "exclude")(unique_items)


class StoryOverride(Table):
    """`[stories.<id>]` in issue.toml: the editor's wording or picture for one story in this issue."""

    title: str | None = Field(default=None, min_length=1)
    """Replaces the story's title (plain text)."""
    teaser: str | None = None
    """Replaces the story's summary (Markdown)."""
    image: str | None = None
    """Replaces the story's photo (absolute http(s) URL); "" removes it."""
    image_alt: str = ""
    """The photo's alt text."""
    image_credit: str = ""
    """Who took the photo."""
    image_caption: str = ""
    """A caption under the photo."""
    section: str | None = None
    """Replaces the story's section (its label, or its heading when More from is grouped); "" for none."""

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("image")
    @classmethod
    def _check_image(cls, value: str | None) -> str | None:
        if not value:
            return value
        return check_http_url(value, 'must be an absolute http(s) URL, or "" to drop the photo')

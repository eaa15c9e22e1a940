"""`[compose]` (digest.toml or issue.toml): how an issue is laid out."""

from __future__ import annotations

from itertools import pairwise

from pydantic import Field, field_validator

from digest.settings.table import Table, unique_items


class ComposeSettings(Table):
    """`[compose]` in digest.toml or issue.toml (issue.toml wins key by key): how an issue is laid out."""

    limit: int = Field(default=8, ge=0)
    """At most this many items in More from; the rest are listed by `digest compose --explain`."""
    sponsored_slots: list[int] = Field(default_factory=lambda: [3, 6])
    """Places in More from (1 = first item after the lead) that sponsored blocks go to."""
    max_sponsored: int = Field(default=2, ge=0)
    """At most this many sponsored blocks per issue."""
    group_by_section: bool = False
    """Show More from under section headings (from each story's `section`)."""
    section_order: list[str] = Field(default_factory=list)
    """With grouping: these sections first, in this order; others follow their best-ranked story."""

    @field_validator("sponsored_slots")
    @classmethod
    def _check_slots(cls, value: list[int]) -> list[int]:
        if any(slot < 1 for slot in value):
            raise ValueError("places count from 1 (the first item after the lead)")
        slots = sorted(set(value))
        if len(slots) != len(value):
            raise ValueError("lists a place more than once")
        for before, after in pairwise(slots):
            if after - before < 2:
                raise ValueError(f"places {before} and {after} would put two sponsored blocks in a row")
        return slots

    _check_sections = field_validator("section_order")(unique_items)

"""A composition as plain JSON-ready data: what `digest compose --json` prints and the preview reads."""

from __future__ import annotations

from typing import Any

from digest.compose.records import Composition, LeadScore, LeftOut, Placement
from digest.model import Story


def _story(story: Story) -> dict[str, Any]:
    return {
        "id": story.id,
        "title": story.title,
        "kind": str(story.kind),
        "url": story.url,
        "section": story.section,
        "sponsor": story.sponsor,
        "priority": story.priority,
        "published": story.published.isoformat() if story.published else None,
    }


def _score(score: LeadScore | None) -> dict[str, float] | None:
    if score is None:
        return None
    return {
        "priority": round(score.priority, 2),
        "freshness": round(score.freshness, 2),
        "image": round(score.image, 2),
        "summary": round(score.summary, 2),
        "total": round(score.total, 2),
    }


def _placement(placement: Placement) -> dict[str, Any]:
    return {
        **_story(placement.story),
        "position": placement.position,
        "slot": placement.slot,
        "heading": placement.heading,
        "reason": str(placement.reason),
        "detail": placement.detail,
        "score": _score(placement.score),
    }


def _left_out(record: LeftOut) -> dict[str, Any]:
    return {**_story(record.story), "reason": str(record.reason), "detail": record.detail}


def composition_to_dict(composition: Composition) -> dict[str, Any]:
    issue = composition.issue
    return {
        "issue_id": issue.issue_id,
        "date": issue.date.isoformat(),
        "subject": issue.subject,
        "preheader": issue.preheader,
        "lead": _placement(composition.lead),
        "more_from": [_placement(p) for p in composition.more_from],
        "left_out": [_left_out(r) for r in composition.left_out],
        "warnings": list(composition.warnings),
    }

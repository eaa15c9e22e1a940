"""What the preview tells an editor after a button: the proof's outcome, and whether a hand-set
subject still fits the lead. Messages here are for a person in a browser: plain words, no
command-line flags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr

from digest.compose import Composition
from digest.deliver.pool import SendReport
from digest.settings import IssueSettings
from digest.store.subscribers import parse_address
from digest.words import slug

SHORT_WORD = 3
SUBJECT_ECHO = 0.5
"""A subject sharing at least this share of its longer words with a story's title was written for it."""


@dataclass(frozen=True, slots=True)
class Notice:
    ok: bool
    message: str
    details: tuple[str, ...] = ()

    @classmethod
    def of_proof(cls, report: SendReport, addresses: list[str], refused: list[str]) -> Notice:
        """How a proof went: sent to the good addresses, each problem (a bad address, a refusal)
        named on a line of its own."""
        problems = list(refused)
        problems += [f"{address}: {reply}" for address, reply in (*report.failed, *report.deferred)]
        problems += [f"{address}: no answer after the message was sent" for address in report.uncertain]
        if report.error:
            problems.append(report.error)
        if report.sent == len(addresses) and not problems:
            return cls(True, f"Proof sent to {', '.join(addresses)}.")
        total = len(addresses) + len(refused)
        return cls(False, f"Proof sent to {report.sent} of {total} addresses.", tuple(problems))


def proof_addresses(raw: str) -> list[str]:
    """Addresses from the form: separated by commas, semicolons or line breaks."""
    return [part.strip() for part in re.split(r"[,;\n]", raw) if part.strip()]


def sort_addresses(raw: str) -> tuple[list[str], list[str]]:
    """The form's addresses that can receive a proof, and a plain line for each that cannot: one
    mistyped address must not keep the proof from the others."""
    good: list[str] = []
    refused: list[str] = []
    for part in proof_addresses(raw):
        _, address = parseaddr(part)
        try:
            parse_address(address or part)
        except ValueError as e:
            refused.append(f"{part}: not sent, this is not an email address ({e})")
        else:
            good.append(part)
    return good, refused


def _title_words(text: str) -> set[str]:
    """The words of a title that say what it is about (short words say little)."""
    return {word for word in slug(text).split("-") if len(word) > SHORT_WORD}


def stale_subject(settings: IssueSettings | None, composition: Composition | None) -> str | None:
    """A warning when issue.toml's hand-set subject was written for a story that no longer leads
    (the editor re-pinned): the story whose title the subject echoes most is not the lead."""
    if settings is None or composition is None or not settings.subject:
        return None
    subject = _title_words(settings.subject)
    if not subject:
        return None
    stories = [p.story for p in composition.placements] + [r.story for r in composition.left_out]
    written_for = max(stories, key=lambda story: len(subject & _title_words(story.title)))
    echoed = len(subject & _title_words(written_for.title)) / len(subject)
    lead = composition.issue.lead
    if written_for.id == lead.id or echoed < SUBJECT_ECHO:
        return None
    return (
        f"The subject was set by hand (“{settings.subject}”) for “{written_for.title}”, but the lead "
        f"is now “{lead.title}”: check [issue] subject in issue.toml."
    )

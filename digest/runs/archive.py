"""Keep every built issue under its stable id: <archive>/2025-W02/{index.html, issue.txt, issue.eml,
issue.json} (written by digest/deliver/snapshot.py, which a send also uses to keep what went out).

issue.json is the composed issue as data: an approved issue is sent from it later, exactly as the
editors saw it in the proof, even if the week's feeds have changed since. The folder is replaced
as a whole, so a reader (a web server, an editor) never sees half of one build and half of another.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import dacite

from digest.deliver.snapshot import ISSUE_DATA, issue_to_json, json_value, snapshot_folder, write_snapshot
from digest.errors import DigestError
from digest.model import Issue, RenderedIssue, StoryKind

__all__ = [
    "ISSUE_DATA",
    "ArchiveError",
    "archive_issue",
    "canonical_json",
    "issue_folder",
    "issue_from_json",
    "issue_hash",
    "issue_to_json",
    "load_archived_issue",
]

_READ_BACK = dacite.Config(
    type_hooks={dt.date: dt.date.fromisoformat, dt.datetime: dt.datetime.fromisoformat},
    cast=[StoryKind, tuple],
)


class ArchiveError(DigestError):
    """An archived issue is missing or cannot be read back."""


def issue_folder(archive_dir: Path, issue_id: str) -> Path:
    return snapshot_folder(archive_dir, issue_id)


def archive_issue(rendered: RenderedIssue, archive_dir: Path) -> dict[str, Path]:
    """Write the issue's HTML, plain text, .eml and data under its id, replacing an earlier build."""
    return write_snapshot(rendered, archive_dir)


def canonical_json(data: object) -> str:
    """A dataclass (an issue, a story) as canonical JSON: sorted keys, no spaces; what is hashed."""
    as_dict = dataclasses.asdict(data)  # type: ignore[call-overload]  # a dataclass instance
    return json.dumps(as_dict, default=json_value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def issue_hash(issue: Issue) -> str:
    """The content hash of an issue as data (sha256 of its canonical JSON). A proof is approved by
    this hash, so an approval can never send another version. The same for an issue composed now
    and for the one read back from its archive."""
    return hashlib.sha256(canonical_json(issue).encode("utf-8")).hexdigest()


def issue_from_json(text: str) -> Issue:
    return dacite.from_dict(Issue, json.loads(text), config=_READ_BACK)


def load_archived_issue(archive_dir: Path, issue_id: str) -> Issue:
    """The issue as it was built (and proofed), from its archive folder."""
    path = issue_folder(archive_dir, issue_id) / ISSUE_DATA
    try:
        return issue_from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArchiveError("not built yet: no archived issue", where=path) from None
    except (ValueError, dacite.DaciteError) as e:
        raise ArchiveError(f"cannot read the archived issue: {e}", where=path) from None

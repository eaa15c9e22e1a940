"""An issue's copy kept under its id: <archive>/<issue id>/{index.html, issue.txt, issue.eml, issue.json}.

A build (`digest run`) keeps what it built there. A real send keeps the copy it sends: every one
goes through `send.send_issue` (`digest send`, `digest run --send`, `digest approve`, the preview's
approve button), which writes the copy without a recipient (no name, the web archive's links)
before the first subscriber has the issue, and never once someone has it. So the web archive
(digest/web/archive/) publishes exactly what subscribers got, whatever the week's files say later.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from digest.atomic import replacing_folder, write_atomically
from digest.deliver.issue_file import issue_file_bytes
from digest.model import Issue, RenderedIssue

HTML_FILE = "index.html"
TEXT_FILE = "issue.txt"
EML_FILE = "issue.eml"
ISSUE_DATA = "issue.json"
"""The composed issue as data: an approved issue is sent from it later, as the editors saw it."""


def json_value(value: object) -> str:
    """What JSON has no type for in an issue: dates (and datetimes), as ISO 8601."""
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    raise TypeError(f"cannot archive a {type(value).__name__}")


def issue_to_json(issue: Issue) -> str:
    return json.dumps(dataclasses.asdict(issue), default=json_value, ensure_ascii=False, indent=1) + "\n"


def _outputs(rendered: RenderedIssue) -> dict[str, tuple[str, bytes]]:
    """Kind → (file name, bytes) of the copies `digest build` writes."""
    return {
        "html": (HTML_FILE, rendered.html.encode("utf-8")),
        "text": (TEXT_FILE, rendered.text.encode("utf-8")),
        "eml": (EML_FILE, issue_file_bytes(rendered)),
    }


def _snapshot(rendered: RenderedIssue) -> dict[str, tuple[str, bytes]]:
    return {**_outputs(rendered), "data": (ISSUE_DATA, issue_to_json(rendered.issue).encode("utf-8"))}


def write_outputs(rendered: RenderedIssue, out: Path) -> dict[str, Path]:
    """index.html, issue.txt and issue.eml into `out` (`digest build`)."""
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind, (name, data) in _outputs(rendered).items():
        files[kind] = out / name
        files[kind].write_bytes(data)
    return files


def snapshot_folder(archive_dir: Path, issue_id: str) -> Path:
    return archive_dir / issue_id


def write_snapshot(rendered: RenderedIssue, archive_dir: Path) -> dict[str, Path]:
    """The issue's four files under its id, replacing an earlier build's folder as a whole, so a
    reader (a web server, an editor) never sees half of one build and half of another."""
    target = snapshot_folder(archive_dir, rendered.issue.issue_id)
    files = _snapshot(rendered)
    with replacing_folder(target) as staging:
        for name, data in files.values():
            (staging / name).write_bytes(data)
    return {kind: target / name for kind, (name, _) in files.items()}


def keep_sent_copy(rendered: RenderedIssue, archive_dir: Path) -> None:
    """Before the first message of a send: the copy that goes out, file by file (each whole), and
    only where it differs from what the build kept (other files in the folder stay)."""
    folder = snapshot_folder(archive_dir, rendered.issue.issue_id)
    for name, data in _snapshot(rendered).values():
        path = folder / name
        if not path.is_file() or path.read_bytes() != data:
            write_atomically(path, data, mode=0o644)

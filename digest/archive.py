"""Keep every built issue under its stable id: <archive>/2025-W02/{index.html, issue.txt, issue.eml}.

The folder is replaced as a whole, so a reader (a web server, an editor) never sees half of one
build and half of another.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from digest.build import write_outputs
from digest.model import RenderedIssue


def issue_folder(archive_dir: Path, issue_id: str) -> Path:
    return archive_dir / issue_id


def archive_issue(rendered: RenderedIssue, archive_dir: Path) -> dict[str, Path]:
    """Write the issue's HTML, plain text and .eml under its id, replacing an earlier build."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    target = issue_folder(archive_dir, rendered.issue.issue_id)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=archive_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; the archive is for web servers and editors
    try:
        written = write_outputs(rendered, staging)
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=archive_dir))
            os.replace(target, retired / target.name)
            os.replace(staging, target)
            shutil.rmtree(retired)
        else:
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return {kind: target / path.name for kind, path in written.items()}

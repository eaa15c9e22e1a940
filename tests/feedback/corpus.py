"""The feedback corpus (tests/fixtures/feedback/): every message with its expected reading."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "feedback"
SECRET = b"feedback corpus test secret 0123"
"""The secret the corpus's return-path and unsubscribe tokens were signed with."""
BOUNCE_KINDS = frozenset({"hard", "soft"})


@dataclass(frozen=True)
class Expected:
    path: Path
    kind: str
    recipients: tuple[str, ...]
    policy_block: bool
    issue_id: str | None
    subscriber_id: int | None
    checks_ids: bool


def corpus() -> list[Expected]:
    manifest = tomllib.loads((CORPUS / "expected.toml").read_text())
    return [
        Expected(
            path=CORPUS / name,
            kind=entry["kind"],
            recipients=tuple(entry.get("recipients", ())),
            policy_block=entry.get("policy_block", False),
            issue_id=entry.get("issue_id") or None,
            subscriber_id=None if entry.get("subscriber_id", -1) < 0 else entry["subscriber_id"],
            checks_ids="issue_id" in entry,
        )
        for name, entry in manifest.items()
    ]

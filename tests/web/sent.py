"""Issues recorded as sent the way a send records them, for the archive tests that are not about
sending: the copy kept (digest/deliver/snapshot.py) and the run history saying sent.
tests/web/test_archive_sent.py sends for real, over SMTP."""

from __future__ import annotations

from pathlib import Path

from digest.deliver.snapshot import keep_sent_copy
from digest.pipeline import compose_issue, render_message
from digest.settings import load_issue_config
from digest.store import IssueHistory, IssueState, open_store

STORE_TOML = '[store]\npath = "digest.db"\n'
"""A digest.toml for a folder of issue folders: the store (and built/) beside it."""


def went_out(folder: Path) -> None:
    """Record an issue folder as sent, as a send does: its copy kept, the history saying sent."""
    delivery = load_issue_config(folder).delivery
    assert delivery is not None and delivery.archive_dir is not None
    rendered = render_message(compose_issue(folder)).plain()
    keep_sent_copy(rendered, delivery.archive_dir)
    store = open_store(delivery.store_path)
    try:
        IssueHistory(store).record(rendered.issue.issue_id, IssueState.SENT, "sent to 1 subscriber")
    finally:
        store.close()

"""When each undated story was first seen, so its date stays put from one run to the next.

Some feeds give entries no date at all. The first time gather meets such an entry it notes the
time in a small JSON file; every later run uses that time, so the entry falls into exactly one
week. Entries not seen for ``KEEP_DAYS`` are forgotten, which keeps the file small.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from digest.atomic import write_atomically

STATE_FILE = "first-seen.json"
KEEP_DAYS = 120


class FirstSeenLog:
    def __init__(self, path: Path | None) -> None:
        """``path`` None keeps the log in memory only (a dry run, a test)."""
        self.path = path
        self.problem = ""
        self._seen: dict[str, dt.datetime] = {}
        self._touched: set[str] = set()
        self._changed = False
        if path is not None:
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as e:
            self.problem = f"{path}: unreadable first-seen state ({e}); starting afresh"
            return
        entries = data.get("entries") if isinstance(data, dict) else None
        for key, value in (entries or {}).items():
            try:
                when = dt.datetime.fromisoformat(value)
            except (TypeError, ValueError):
                continue
            if when.tzinfo is not None:
                self._seen[key] = when

    def first_seen(self, key: str, now: dt.datetime) -> dt.datetime:
        """The time ``key`` was first seen; ``now`` if this is the first time."""
        self._touched.add(key)
        if key not in self._seen:
            self._seen[key] = now
            self._changed = True
        return self._seen[key]

    def save(self, now: dt.datetime) -> None:
        if self.path is None:
            return
        horizon = now - dt.timedelta(days=KEEP_DAYS)
        kept = {k: v for k, v in self._seen.items() if k in self._touched or v >= horizon}
        if not self._changed and len(kept) == len(self._seen):
            return
        payload = {"version": 1, "entries": {k: v.isoformat() for k, v in sorted(kept.items())}}
        write_atomically(self.path, json.dumps(payload, indent=1).encode("utf-8"))

"""listmonk's subscribers export (Subscribers → Export): uuid, email, name, attributes, status,
created_at, updated_at.

attributes is a JSON object ({"city": "Lisbon", "plan": {"tier": 2}}): each key becomes an
attribute (a value that is not text as its JSON). status is enabled, disabled or blocklisted:
a disabled or blocklisted subscriber is not sent to by listmonk and is suppressed here (manual,
the status as the evidence), never made active. Times are Go's ("2024-03-01 10:22:33.123456
+0000 UTC"); created_at is the consent record's time. uuid and updated_at are listmonk's own and
not kept. Which lists a subscriber was on is not in this export.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from digest.importers.table import Cells, Converter, Format, basic_row, cell
from digest.store import ImportedRow, Reason

STATUSES = ("enabled", "disabled", "blocklisted")
_READ = frozenset({"uuid", "email", "name", "attributes", "status", "created_at", "updated_at"})


def identifies(columns: frozenset[str]) -> bool:
    return {"uuid", "email", "attributes", "status"} <= columns


def converter(columns: Sequence[str], file_name: str) -> Converter:
    def convert(cells: Cells) -> ImportedRow:
        status = cell(cells, "status").lower()
        if status not in STATUSES:
            raise ValueError(f"status {status!r} is none of {', '.join(STATUSES)}")
        row = basic_row(cells, _READ)
        row.attributes = _attributes(cells.get("attributes", "")) | row.attributes
        if status != "enabled":
            row.suppression, row.evidence = Reason.MANUAL, f"listmonk: {status}"
        return row

    return convert


def _attributes(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    try:
        found = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"attributes is not JSON ({e.msg} at character {e.pos})") from None
    if not isinstance(found, dict):
        raise ValueError(f"attributes is JSON but not an object: {text.strip()[:40]!r}")
    return {
        str(key): " ".join(value.split()) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        for key, value in found.items()
        if value not in ("", None)
    }


LISTMONK = Format(
    name="listmonk",
    expected="uuid, email, name, attributes, status (created_at, updated_at)",
    identifies=identifies,
    converter=converter,
)

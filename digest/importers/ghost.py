"""Ghost's members export (Members → Export): one CSV, comma-separated, CRLF line ends.

Its columns: id, email, name, note, subscribed_to_emails, complimentary_plan,
stripe_customer_id, created_at, deleted_at, labels, tiers (Ghost before 5.0: products; newer:
gift_id, and one column per custom field). subscribed_to_emails is "true" or "false"; labels and
tiers are names joined with ", "; created_at is ISO 8601 in UTC ("2024-01-15T10:00:00.000Z"). A
cell a spreadsheet would run as a formula starts with a ' (as digest's own export does).

A member with subscribed_to_emails false asked not to be emailed: suppressed (unsubscribe),
never added as active. Should an export carry Ghost's email_disabled flag (set when Ghost stops
emailing an address after a permanent bounce or a complaint), true is suppressed
imported-cleaned. created_at is when they signed up: the consent record's time. Ghost's own ids
(id, deleted_at) are not kept; the rest (note, complimentary_plan, labels, tiers, …) become
attributes.
"""

from __future__ import annotations

from collections.abc import Sequence

from digest.importers.table import Cells, Converter, Format, basic_row, cell, is_true
from digest.store import ImportedRow, Reason

_READ = frozenset(
    {"email", "name", "subscribed_to_emails", "email_disabled", "created_at", "id", "deleted_at"}
)


def identifies(columns: frozenset[str]) -> bool:
    return {"email", "subscribed_to_emails"} <= columns


def converter(columns: Sequence[str], file_name: str) -> Converter:
    def convert(cells: Cells) -> ImportedRow:
        row = basic_row(cells, _READ)
        if is_true(cells.get("email_disabled", "")):
            # Ghost stops emailing an address that bounced for good or complained.
            row.suppression, row.evidence = Reason.IMPORTED_CLEANED, "ghost: email_disabled"
        elif cell(cells, "subscribed_to_emails").lower() == "false":
            row.suppression, row.evidence = Reason.UNSUBSCRIBE, "ghost: subscribed_to_emails false"
        return row

    return convert


GHOST = Format(
    name="ghost",
    expected="email, subscribed_to_emails (with name, complimentary_plan, labels, created_at…)",
    identifies=identifies,
    converter=converter,
)

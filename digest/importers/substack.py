"""Substack's subscriber export: the email list CSV (Subscribers → Export, or email_list.*.csv
in the publication's data export zip, next to posts.csv, which is not a list and is skipped).

Its columns: email, active_subscription, expiry, plan, email_disabled, created_at,
first_payment_at (ISO 8601 times in UTC). email_disabled "true" means the reader turned the
emails off: suppressed (unsubscribe). created_at is when they subscribed: the consent record's
time. The subscription's columns (active_subscription, plan, expiry, first_payment_at) and any
other become attributes.
"""

from __future__ import annotations

from collections.abc import Sequence

from digest.importers.table import Cells, Converter, Format, basic_row, is_true
from digest.store import ImportedRow, Reason

_READ = frozenset({"email", "name", "email_disabled", "created_at"})


def identifies(columns: frozenset[str]) -> bool:
    return "email" in columns and bool(columns & {"active_subscription", "email_disabled"})


def converter(columns: Sequence[str], file_name: str) -> Converter:
    def convert(cells: Cells) -> ImportedRow:
        row = basic_row(cells, _READ)
        if is_true(cells.get("email_disabled", "")):
            row.suppression, row.evidence = Reason.UNSUBSCRIBE, "substack: email_disabled"
        return row

    return convert


SUBSTACK = Format(
    name="substack",
    expected="email with active_subscription or email_disabled (expiry, plan, created_at…)",
    identifies=identifies,
    converter=converter,
)

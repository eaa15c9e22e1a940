"""Mailchimp's audience export: a zip of one CSV per status (subscribed, unsubscribed, cleaned),
or any one of those CSVs alone.

Each file has "Email Address", the audience's merge fields by their labels ("First Name", "Last
Name", "Address", …), then MEMBER_RATING, OPTIN_TIME, OPTIN_IP, CONFIRM_TIME, CONFIRM_IP, the
location columns (LATITUDE … REGION), and LEID, EUID, NOTES, TAGS. The unsubscribed file adds
UNSUB_TIME, UNSUB_CAMPAIGN_TITLE, UNSUB_CAMPAIGN_ID, UNSUB_REASON, UNSUB_REASON_OTHER; the cleaned
file CLEAN_TIME, CLEAN_CAMPAIGN_TITLE, CLEAN_CAMPAIGN_ID (the subscribed file LAST_CHANGED). Times
are UTC, "2018-02-12 10:54:27".

Which file a row is in is its status: cleaned (a hard bounce, or soft bounces Mailchimp gave up
on) is suppressed imported-cleaned at CLEAN_TIME; unsubscribed is suppressed unsubscribe at
UNSUB_TIME, its reason kept as the evidence. OPTIN_TIME/OPTIN_IP and CONFIRM_TIME/CONFIRM_IP are
the consent record (a CONFIRM_TIME equal to OPTIN_TIME without a CONFIRM_IP is how a single
opt-in is written: no confirmation is recorded for it). Mailchimp's own bookkeeping (the
rating, the location it guessed, its ids) is not kept; the merge fields, NOTES and TAGS become
attributes.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import PurePath

from digest.importers.table import Cells, Converter, Format, cell, extras, parse_time
from digest.store import ImportedRow, Reason

EMAIL = "email address"
FIRST, LAST = "first name", "last name"
_IDENTIFYING = frozenset({"optin_time", "confirm_time", "member_rating", "leid", "euid"})
_BOOKKEEPING = frozenset(
    {"member_rating", "latitude", "longitude", "gmtoff", "dstoff", "timezone", "cc", "region"}
    | {"last_changed", "leid", "euid"}
)
_READ = frozenset(
    {EMAIL, FIRST, LAST, "optin_time", "optin_ip", "confirm_time", "confirm_ip", "tags"}
    | {"unsub_time", "unsub_campaign_title", "unsub_campaign_id", "unsub_reason", "unsub_reason_other"}
    | {"clean_time", "clean_campaign_title", "clean_campaign_id"}
)


def identifies(columns: frozenset[str]) -> bool:
    return EMAIL in columns and bool(columns & _IDENTIFYING)


def converter(columns: Sequence[str], file_name: str) -> Converter:
    """Rows of the cleaned file (CLEAN_TIME in its header, or a name starting "cleaned"), the
    unsubscribed (UNSUB_TIME, "unsubscribed"), or the subscribed."""
    name = PurePath(file_name).name.lower()
    if "clean_time" in columns or name.startswith("cleaned"):
        status = "cleaned"
    elif "unsub_time" in columns or name.startswith("unsubscribed"):
        status = "unsubscribed"
    else:
        status = ""

    def convert(cells: Cells) -> ImportedRow:
        first, last = cell(cells, FIRST), cell(cells, LAST)
        row = ImportedRow(
            line=0,
            email=cells.get(EMAIL, ""),
            name=" ".join(part for part in (first, last) if part),
            first_name=first,
            attributes=extras(cells, _READ | _BOOKKEEPING),
            given_at=parse_time(cells.get("optin_time", "")),
            given_ip=cell(cells, "optin_ip"),
        )
        confirmed_at, confirmed_ip = parse_time(cells.get("confirm_time", "")), cell(cells, "confirm_ip")
        if confirmed_ip or confirmed_at != row.given_at:
            # A single opt-in's CONFIRM_TIME is its OPTIN_TIME, with no IP: nothing was confirmed.
            row.confirmed_at, row.confirmed_ip = confirmed_at, confirmed_ip
        if tags := _tags(cells.get("tags", "")):
            row.attributes["tags"] = tags
        if status == "cleaned":
            row.suppression, row.since = Reason.IMPORTED_CLEANED, parse_time(cells.get("clean_time", ""))
            row.evidence = _evidence("mailchimp: cleaned", cell(cells, "clean_campaign_title"))
        elif status == "unsubscribed":
            row.suppression, row.since = Reason.UNSUBSCRIBE, parse_time(cells.get("unsub_time", ""))
            reason = " ".join(filter(None, (cell(cells, "unsub_reason"), cell(cells, "unsub_reason_other"))))
            row.evidence = _evidence(
                f"mailchimp: unsubscribed{f' ({reason})' if reason else ''}",
                cell(cells, "unsub_campaign_title"),
            )
        return row

    return convert


def _evidence(what: str, campaign: str) -> str:
    return f"{what}, campaign {campaign!r}" if campaign else what


def _tags(text: str) -> str:
    """TAGS holds the tags quoted and comma-separated ("Editors","2024 fair"): a plain list."""
    if not text.strip():
        return ""
    return ", ".join(tag.strip() for tag in next(csv.reader([text.strip()]), []) if tag.strip())


MAILCHIMP = Format(
    name="mailchimp",
    expected="Email Address with OPTIN_TIME, CONFIRM_TIME, LEID, EUID or MEMBER_RATING",
    identifies=identifies,
    converter=converter,
)

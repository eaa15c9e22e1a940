"""Which tool an export comes from, told by its header line (or named with --from, and checked).

The tools' headers are tried most particular first: listmonk's and Ghost's both have an
"email" column, so digest's own CSV (any file with an email column) comes last.
"""

from __future__ import annotations

from collections.abc import Sequence

from digest.importers.files import ExportFile
from digest.importers.ghost import GHOST
from digest.importers.listmonk import LISTMONK
from digest.importers.mailchimp import MAILCHIMP
from digest.importers.substack import SUBSTACK
from digest.importers.table import Format
from digest.store import SubscriberError

OWN = "csv"
"""digest's own subscriber CSV (what `digest subscribers export` writes), read by the store."""
OWN_EXPECTED = "email (with name, first_name, status…: digest's own CSV)"
FORMATS: tuple[Format, ...] = (MAILCHIMP, LISTMONK, GHOST, SUBSTACK)
TOOLS = (*(f.name for f in FORMATS), OWN)
"""What --from accepts."""
_BY_NAME = {f.name: f for f in FORMATS}


def identify(file: ExportFile) -> str | None:
    """The tool whose export this file's header is, or None."""
    columns = frozenset(file.columns)
    for tool in FORMATS:
        if tool.identifies(columns):
            return tool.name
    return OWN if "email" in columns else None


def format_named(tool: str) -> Format:
    return _BY_NAME[tool]


def _expected(tool: str) -> str:
    return OWN_EXPECTED if tool == OWN else _BY_NAME[tool].expected


def choose(files: Sequence[ExportFile], named: str | None) -> tuple[str, list[ExportFile], list[ExportFile]]:
    """The tool (`named`, else the one the headers say), the files that are its export, and the
    files skipped (a zip's posts.csv, Mailchimp's contacts who never subscribed). One line
    naming the columns expected when no file is an export of it."""
    found = {file: identify(file) for file in files}
    tool = named or next((t for t in found.values() if t is not None), None)
    taken = [file for file, t in found.items() if t == tool or (named == OWN and t is not None)]
    if taken and all(map(_never_subscribed, taken)):
        raise SubscriberError(
            "only contacts who never subscribed (Mailchimp's non-subscribed or transactional export): "
            "nothing to import; import the subscribed, unsubscribed and cleaned files",
            where=files[0].path,
        )
    taken = [file for file in taken if not _never_subscribed(file)]
    if tool is None or not taken:
        raise SubscriberError(_unknown(files, named), where=files[0].path)
    if tool == OWN and (len(taken) > 1 or taken[0].member):
        raise SubscriberError("digest's own CSV is a .csv file, not in a zip", where=files[0].path)
    return tool, taken, [file for file in files if file not in taken]


def _never_subscribed(file: ExportFile) -> bool:
    """Mailchimp's export of contacts who never opted in (non-subscribed, transactional) is no list."""
    name = file.name.lower().replace("-", "_")
    return any(word in name for word in ("nonsubscribed", "non_subscribed", "transactional"))


def _unknown(files: Sequence[ExportFile], named: str | None) -> str:
    header = list(files[0].header)
    if named is not None:
        return f"not a {named} export: its header line is {header!r}; {named}'s has {_expected(named)}"
    expected = "; ".join(f"{tool}: {_expected(tool)}" for tool in TOOLS)
    return (
        f"cannot tell which tool this export comes from: its header line is {header!r}; "
        f"expected the columns of {expected} (or name it with --from)"
    )

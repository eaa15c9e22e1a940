"""Every settings key is in the README, as Datasette's tests/test_docs.py does for its settings.

The keys come from the schemas of the files themselves (issue.toml and digest.toml), walked down
to every table, so a new table or key fails here until the README shows it: as a line `key = …`
under its table's header in a TOML example, or as `[table] key` in a table of keys.
"""

from __future__ import annotations

import re
import typing

import pytest
from pydantic import BaseModel

from digest.settings import IssueFile, ProjectFile
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
ENTRY = "<id>"
"""How a table of tables, such as [stories.<id>], is named here whatever the README calls its entry."""


def _table_model(annotation: object) -> tuple[type[BaseModel], bool] | None:
    """The table model inside a field's type, and whether it is a table of tables (dict[str, Model])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    for arg in args:
        found = _table_model(arg)
        if found is not None:
            return found[0], found[1] or origin is dict
    return None


def schema_keys(model: type[BaseModel], table: str = "") -> set[tuple[str, str]]:
    """(table, key) for every key of every table below `model`, as a user writes them in TOML."""
    keys: set[tuple[str, str]] = set()
    for name, field in model.model_fields.items():
        key = field.alias or name
        found = _table_model(field.annotation)
        if found is None:
            keys.add((table, key))
            continue
        inner, of_tables = found
        path = f"{table}.{key}" if table else key
        keys |= schema_keys(inner, f"{path}.{ENTRY}" if of_tables else path)
    return keys


def header_line(line: str) -> str | None:
    """`[stories.harbour-vote]` -> 'stories.<id>'; `[[sources]]` -> 'sources'."""
    match = re.match(r"^\s*\[\[?\s*([\w.-]+)\s*\]\]?", line)
    if match is None:
        return None
    name = match[1]
    return f"stories.{ENTRY}" if name.startswith("stories.") else name


def documented_keys(readme: str) -> set[tuple[str, str]]:
    """(table, key) the README shows: in ```toml examples under a header, and as `[table] key`."""
    keys = {(table, key) for table, key in re.findall(r"`\[([\w.]+)\] (\w+)`", readme)}
    for block in re.findall(r"^```toml\n(.*?)^```", readme, flags=re.DOTALL | re.MULTILINE):
        table = ""
        for line in block.splitlines():
            table = header_line(line) or table
            assignment = re.match(r"^\s*([A-Za-z_][\w-]*)\s*=", line)
            if assignment:
                keys.add((table, assignment[1]))
    return keys


SETTINGS = sorted(schema_keys(IssueFile) | schema_keys(ProjectFile))


def test_the_keys_are_found():
    tables = {table for table, _ in SETTINGS}
    assert {"newsletter", "newsletter.utm", "issue", f"stories.{ENTRY}", "compose", "store", "smtp", "dkim",
            "sources", "gather", "schedule", "archive"} <= tables  # fmt: skip
    assert ("newsletter", "from") in SETTINGS  # a key under its TOML name, not its Python one


@pytest.mark.parametrize(("table", "key"), SETTINGS, ids=[f"[{t}] {k}" for t, k in SETTINGS])
def test_every_setting_is_documented(table: str, key: str):
    assert (table, key) in documented_keys(README), f"[{table}] {key} is not in the README"


def test_an_undocumented_setting_fails():
    """The check can fail: the README without its [compose] max_sponsored line lacks that key."""
    line = next(line for line in README.splitlines() if line.startswith("max_sponsored = "))
    assert ("compose", "max_sponsored") in documented_keys(README)
    assert ("compose", "max_sponsored") not in documented_keys(README.replace(line, ""))

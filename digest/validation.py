"""Turn pydantic's validation errors into lines a user can act on."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

_FRIENDLY = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
}


def format_location(loc: Iterable[str | int], *, tables: bool = True) -> str:
    """('newsletter', 'from') -> '[newsletter] from'; ('stories', 'x', 'title') -> '[stories.x] title'."""
    parts = [str(p) for p in loc]
    if not tables or len(parts) < 2:
        return ".".join(parts)
    return f"[{'.'.join(parts[:-1])}] {parts[-1]}"


def describe(error: ValidationError, *, tables: bool = True) -> list[str]:
    """One line per problem: where it is, then what is wrong."""
    lines = []
    for item in error.errors():
        where = format_location(item["loc"], tables=tables)
        message = _FRIENDLY.get(item["type"], item["msg"])
        if item["type"] not in _FRIENDLY and "input" in item and item["type"] != "missing":
            value = item["input"]
            if isinstance(value, str | int | float | bool):
                message = f"{message} (got {value!r})"
        lines.append(f"{where}: {message}")
    return lines

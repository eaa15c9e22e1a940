"""Turn pydantic's validation errors into lines a user can act on."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from difflib import get_close_matches
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

_FRIENDLY = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
    "password_in_url": "must not hold a password: set DIGEST_DB_PASSWORD or use a libpq password file",
}
"""Said without the value given (a password must not be echoed)."""


def format_location(loc: Iterable[str | int], *, tables: bool = True) -> str:
    """Where a problem is, as the file says it.

    >>> format_location(("newsletter", "from"))
    '[newsletter] from'
    >>> format_location(("stories", "x", "title"))
    '[stories.x] title'
    >>> format_location(("sources", 0, "feed"))  # an array of tables, counted from 1 as people do
    '[[sources]] #1 feed'
    """
    parts = list(loc)
    if tables and len(parts) >= 3 and isinstance(parts[-2], int):
        table = ".".join(str(p) for p in parts[:-2])
        return f"[[{table}]] #{parts[-2] + 1} {parts[-1]}"
    names = [str(p + 1) if isinstance(p, int) else str(p) for p in parts]
    if not tables or len(names) < 2:
        return ".".join(names)
    return f"[{'.'.join(names[:-1])}] {names[-1]}"


# pydantic's wording → plain words; the first pattern that matches the start of its message wins.
_PLAIN_WORDS = (
    (re.compile(r"^Value error, "), ""),
    (re.compile(r"^Input should be a valid integer.*"), "must be a whole number"),
    (re.compile(r"^Input should be a valid number.*"), "must be a number"),
    (re.compile(r"^Input should be a valid string.*"), "must be text in quotes"),
    (re.compile(r"^Input should be a valid boolean.*"), "must be true or false"),
    (re.compile(r"^Input should be a valid (list|array).*"), "must be a list [ … ]"),
    (re.compile(r"^Input should be a valid dictionary.*"), "must be a table"),
    (re.compile(r"^Input should be greater than or equal to "), "must be at least "),
    (re.compile(r"^Input should be less than or equal to "), "must be at most "),
    (re.compile(r"^Input should be greater than "), "must be more than "),
    (re.compile(r"^Input should be less than "), "must be less than "),
    (re.compile(r"^Input should be "), "must be "),
    (re.compile(r"^String should have at least (\d+) characters?"), r"must be at least \1 characters long"),
    (re.compile(r"^String should have at most (\d+) characters?"), r"must be at most \1 characters long"),
    (re.compile(r"^String should match pattern .*"), "is not in the expected form"),
)


def plain_words(message: str) -> str:
    """pydantic's message in the words a user reads.

    >>> plain_words("Input should be greater than or equal to 1")
    'must be at least 1'
    >>> plain_words("Value error, lists 'a' more than once")
    "lists 'a' more than once"
    """
    for pattern, replacement in _PLAIN_WORDS:
        if pattern.match(message):
            return pattern.sub(replacement, message, count=1)
    return message


def describe(
    error: ValidationError, *, tables: bool = True, model: type[BaseModel] | None = None
) -> list[str]:
    """One line per problem: where it is, then what is wrong; an unknown key names the closest
    known one when `model` (what was validated) is given."""
    lines = []
    for item in error.errors():
        where = format_location(item["loc"], tables=tables)
        message = _FRIENDLY.get(item["type"]) or plain_words(item["msg"])
        if item["type"] == "extra_forbidden" and model is not None:
            message += _did_you_mean(str(item["loc"][-1]), known_keys(model, item["loc"][:-1]))
        elif item["type"] not in _FRIENDLY and "input" in item and item["type"] != "missing":
            value = item["input"]
            if isinstance(value, str | int | float | bool):
                message = f"{message} (got {value!r})"
        lines.append(f"{where}: {message}")
    return lines


def _did_you_mean(key: str, known: set[str]) -> str:
    close = get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds: itself, or inside Optional, list[...] or dict[str, ...]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        if found := _model_in(argument):
            return found
    return None


def known_keys(model: type[BaseModel], path: Sequence[str | int]) -> set[str]:
    """The keys the table at `path` may hold (as written: aliases such as `from` included)."""
    current: type[BaseModel] | None = model
    for part in path:
        if current is None:
            return set()
        field = current.model_fields.get(str(part)) if isinstance(part, str) else None
        if field is not None:
            current = _model_in(field.annotation)
        # else an array index or a dict key (a story id): the model found so far is the item's
    if current is None:
        return set()
    return {field.alias or name for name, field in current.model_fields.items()}

"""Many rows in few statements, for an import's chunk, on either store:

- SQLite: `INSERT … VALUES (…), (…), …` with at most PARAMETERS_MAX parameters each (ON CONFLICT
  and RETURNING after it): half the CPU of `executemany` a row;
- PostgreSQL: one `INSERT … SELECT * FROM unnest(?::text[], ?::bigint[], …)`, a column's values as
  one array. psycopg parses a statement of more than 50 parameters in Python every time it runs
  it (~3 ms for a thousand, most of what an import cost there); a few arrays keep the statement
  short, cached and prepared.

`select_in` is the same for a query's IN list (`= ANY(?)` on PostgreSQL), `rows_table` for rows a
statement selects from (INSERT … SELECT … WHERE); `json_object` writes a row's attributes as
json.dumps would, for a third of its cost.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from itertools import chain
from json.encoder import encode_basestring_ascii

from digest.store.backend import Connection, Store

PARAMETERS_MAX = 999
"""The fewest any SQLite build allows in one statement (3.32 and later allow 32766)."""
_INSERT_INTO = re.compile(r"\s*INSERT INTO (?P<table>\w+) \((?P<columns>[^)]*)\) VALUES\s*\Z", re.IGNORECASE)
_COLUMN_TYPES: dict[tuple[str, str], str] = {}
"""PostgreSQL's type of a (table, column), asked once a process: the arrays' casts."""


def _is_postgres(db: Connection | Store) -> bool:
    return getattr(db, "dialect", "sqlite") == "postgresql"


def insert_rows(
    db: Connection, insert: str, rows: Sequence[Sequence[object]], *, tail: str = ""
) -> list[tuple]:
    """Run `insert` ("INSERT INTO t (a, b) VALUES") for every row, `tail` after each statement
    (ON CONFLICT …, RETURNING …); the rows RETURNING gave, as tuples."""
    if not rows:
        return []
    returning = "RETURNING" in tail.upper()
    if _is_postgres(db):
        cursor = db.execute(_unnested(db, insert, tail), [list(column) for column in zip(*rows, strict=True)])
        return list(map(tuple, cursor)) if returning else []
    width = len(rows[0])
    marks = "(" + ", ".join("?" * width) + ")"
    per_statement = max(1, PARAMETERS_MAX // width)
    returned: list[tuple] = []
    for start in range(0, len(rows), per_statement):
        part = rows[start : start + per_statement]
        values = list(chain.from_iterable(part))
        cursor = db.execute(f"{insert} {', '.join([marks] * len(part))} {tail}", values)
        if returning:
            returned.extend(map(tuple, cursor))
    return returned


def _unnested(db: Connection, insert: str, tail: str) -> str:
    """PostgreSQL's statement for `insert`: its rows as one array a column."""
    found = _INSERT_INTO.match(insert)
    if found is None:
        raise ValueError(f"not an INSERT INTO table (columns) VALUES: {insert!r}")
    table, columns = found["table"], [c.strip() for c in found["columns"].split(",")]
    for column in columns:
        if (table, column) not in _COLUMN_TYPES:
            _COLUMN_TYPES[table, column] = db.execute(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = ?::regclass AND attname = ?",
                (table, column),
            ).fetchone()[0]
    arrays = ", ".join(f"?::{_COLUMN_TYPES[table, column]}[]" for column in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) {tail}"


def rows_table(
    db: Connection | Store, types: Sequence[str], rows: Sequence[Sequence[object]]
) -> tuple[str, list[object]]:
    """`rows` as a table a statement selects from, `row` with columns column1, column2, …, and its
    parameters: `(VALUES (?, ?), …)` on SQLite (the caller keeps the values under
    PARAMETERS_MAX), one array a column of PostgreSQL type `types[n]` on PostgreSQL, so the
    statement's text is the same whatever the number of rows (cached and prepared)."""
    if _is_postgres(db):
        return _unnest_table(tuple(types)), [list(column) for column in zip(*rows, strict=True)]
    return _values_table(len(types), len(rows)), list(chain.from_iterable(rows))


@functools.cache
def _unnest_table(types: tuple[str, ...]) -> str:
    arrays = ", ".join(f"?::{kind}[]" for kind in types)
    return f"unnest({arrays}) AS row ({', '.join(f'column{n}' for n in range(1, len(types) + 1))})"


@functools.cache
def _values_table(width: int, count: int) -> str:
    marks = "(" + ", ".join("?" * width) + ")"
    return f"(VALUES {', '.join([marks] * count)}) AS row"


def select_in(db: Connection, query: str, values: Sequence[object], *parameters: object) -> list[tuple]:
    """`query` with its `IN ({})` list filled by `values`, each once, after `parameters`."""
    distinct = list(dict.fromkeys(values))
    if not distinct:
        return []
    if _is_postgres(db):
        cursor = db.execute(query.replace("IN ({})", "= ANY(?)"), [*parameters, distinct])
        return [tuple(row) for row in cursor]
    returned: list[tuple] = []
    per_statement = PARAMETERS_MAX - len(parameters)
    for start in range(0, len(distinct), per_statement):
        part = distinct[start : start + per_statement]
        cursor = db.execute(query.format(", ".join("?" * len(part))), [*parameters, *part])
        returned.extend(map(tuple, cursor))
    return returned


def json_object(strings: dict[str, str]) -> str:
    """`json.dumps(strings)` for a dict of strings (a subscriber's attributes), without the
    encoder json.dumps sets up on every call (1 µs, a row's worth on an import; a property test
    holds the two equal)."""
    quote = encode_basestring_ascii
    return "{" + ", ".join([f"{quote(key)}: {quote(value)}" for key, value in strings.items()]) + "}"

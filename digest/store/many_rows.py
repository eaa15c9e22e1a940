"""Many rows in few statements: `INSERT … VALUES (…), (…), …` with at most PARAMETERS_MAX
parameters each, portable SQL (SQLite and PostgreSQL both take it, with ON CONFLICT and
RETURNING). Half the CPU of `executemany` a row for an import's chunk (tests/benchmarks/bench_import.py)."""

from __future__ import annotations

from collections.abc import Sequence

from digest.store.backend import Connection

PARAMETERS_MAX = 999
"""The fewest any SQLite build allows in one statement (3.32 and later allow 32766)."""


def insert_rows(
    db: Connection, insert: str, rows: Sequence[Sequence[object]], *, tail: str = ""
) -> list[tuple]:
    """Run `insert` ("INSERT INTO t (a, b) VALUES") for every row, `tail` after each statement
    (ON CONFLICT …, RETURNING …); the rows RETURNING gave, as tuples."""
    if not rows:
        return []
    width = len(rows[0])
    marks = "(" + ", ".join("?" * width) + ")"
    per_statement = max(1, PARAMETERS_MAX // width)
    returned: list[tuple] = []
    returning = "RETURNING" in tail.upper()
    for start in range(0, len(rows), per_statement):
        part = rows[start : start + per_statement]
        values = [value for row in part for value in row]
        cursor = db.execute(f"{insert} {', '.join([marks] * len(part))} {tail}", values)
        if returning:  # (PostgreSQL's cursor has no rows to give otherwise, and says so)
            returned.extend(tuple(row) for row in cursor)
    return returned

"""many_rows.rows_table: rows a statement selects from, the same rows back on either store; on
PostgreSQL a statement of one text whatever the number of rows."""

from __future__ import annotations

from digest.store import open_store
from digest.store.many_rows import rows_table

AWKWARD = ["plain", 'a "quoted", {braced} value', "back\\slash", "", "Zoë ünïcode", "NULL"]


def test_rows_come_back_as_they_went_in_on_either_store(store_at):
    store = open_store(store_at("subscribers.db"))
    try:
        rows = [(text, n) for n, text in enumerate(AWKWARD * 7)]  # 42 rows: 84 values
        table, values = rows_table(store, ("text", "bigint"), rows)
        got = store.fetchall(f"SELECT column1, column2 FROM {table}", values)
        assert [tuple(row) for row in got] == rows
        one_table, one_values = rows_table(store, ("text", "bigint"), rows[:1])
        if store.dialect == "postgresql":
            assert one_table == table and len(values) == len(one_values) == 2, "one array a column"
        else:
            assert len(values) == 84 and len(one_values) == 2
    finally:
        store.close()

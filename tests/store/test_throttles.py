"""The store's throttle tables (digest/store/throttles.py): each call atomic on its own, so two
connections (as two processes have) share one limit. On both backends (the `store_at` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from digest.store import open_store
from digest.store.throttles import (
    back_off,
    back_offs,
    count_under,
    counted,
    free_place,
    hold_place,
    renew_place,
    take_slot,
)


def test_a_rate_hands_out_evenly_spaced_slots_across_connections(store_at: Callable[[], Path | str]):
    one, two = open_store(store_at()), open_store(store_at())
    slots = [take_slot(store, "domain:gmail.com", 0.05, now=100.0) for store in (one, two, one, two)]
    assert slots == pytest.approx([100.0, 100.05, 100.1, 100.15])
    assert take_slot(two, "domain:gmail.com", 0.05, now=200.0) == 200.0  # idle since: no debt, no burst
    assert take_slot(one, "domain:other.example", 0.05, now=100.0) == 100.0  # each bucket its own


def test_connection_places_are_leased_and_a_dead_holders_comes_free(store_at: Callable[[], Path | str]):
    store = open_store(store_at())
    assert hold_place(store, "relay:r", 2, "a", now=0, lease=60) == 0
    assert hold_place(store, "relay:r", 2, "b", now=0, lease=60) == 1
    assert hold_place(store, "relay:r", 2, "c", now=30, lease=60) is None  # all held
    renew_place(store, "relay:r", 1, "b", until=120)
    assert hold_place(store, "relay:r", 2, "c", now=61, lease=60) == 0  # a's lease ran out (killed)
    assert hold_place(store, "relay:r", 2, "d", now=61, lease=60) is None  # b renewed its own
    free_place(store, "relay:r", 1, "b")
    assert hold_place(store, "relay:r", 2, "d", now=62, lease=60) == 1


def test_a_daily_count_stops_at_its_allowance(store_at: Callable[[], Path | str]):
    store = open_store(store_at())
    assert [count_under(store, "warmup:x:2026-12-03", 3) for _ in range(5)] == [True] * 3 + [False] * 2
    assert counted(store, "warmup:x:2026-12-03") == 3
    assert not count_under(store, "warmup:x:2026-12-04", 0)


def test_a_back_off_keeps_the_later_end(store_at: Callable[[], Path | str]):
    store = open_store(store_at())
    back_off(store, "gmail.com", 500.0, "421 4.7.0 slow down")
    back_off(store, "gmail.com", 400.0, "451 4.7.500 busy")  # earlier: the later one stays
    assert back_offs(store, now=450.0)["gmail.com"].reply == "421 4.7.0 slow down"
    assert back_offs(store, now=500.0) == {}

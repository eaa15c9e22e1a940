"""The throttles every sending process shares (the throttle_* tables of migrations.py), so a limit
holds however many processes, on however many hosts, send at once. Each call is one statement,
atomic on its own (INSERT … ON CONFLICT … RETURNING: SQLite serialises writers, PostgreSQL locks
the row), and times are Unix seconds from the caller, so every host must keep its clock in time.

- a rate: each bucket's next free moment. Taking a slot moves it on by one interval and returns
  the slot's moment; the caller waits until then. (A token bucket that holds one token: no
  bursts, and no caller polls.)
- connections: a numbered place per connection up to the limit, held on a lease that its holder
  renews; a killed holder's place comes free when its lease runs out.
- a daily count: incremented only while under the allowance.
- back-offs: a domain nobody sends to until a moment, and the reply that asked for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from digest.store.connection import Store

_TAKE_SLOT = (
    "INSERT INTO throttle_slots (bucket, next_at) VALUES (?, ?) "
    "ON CONFLICT (bucket) DO UPDATE SET next_at = "
    "CASE WHEN throttle_slots.next_at > ? THEN throttle_slots.next_at ELSE ? END + ? "
    "RETURNING next_at"
)

_HOLD_PLACE = (
    "INSERT INTO throttle_holds (bucket, place, holder, expires_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (bucket, place) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
    "WHERE throttle_holds.expires_at < ? OR throttle_holds.holder = excluded.holder "
    "RETURNING place"
)

_COUNT = (
    "INSERT INTO throttle_counts (bucket, used) VALUES (?, 1) "
    "ON CONFLICT (bucket) DO UPDATE SET used = throttle_counts.used + 1 WHERE throttle_counts.used < ? "
    "RETURNING used"
)

_BACK_OFF = (
    "INSERT INTO throttle_backoffs (domain, until_at, reply) VALUES (?, ?, ?) "
    "ON CONFLICT (domain) DO UPDATE SET until_at = excluded.until_at, reply = excluded.reply "
    "WHERE excluded.until_at > throttle_backoffs.until_at"
)


@dataclass(frozen=True, slots=True)
class BackOff:
    domain: str
    until: float
    """Unix seconds: nobody sends to the domain before."""
    reply: str
    """What the domain's server said."""


def _returned(store: Store, sql: str, parameters: tuple[object, ...]) -> list[tuple[object, ...]]:
    """The rows an INSERT … RETURNING wrote, the statement run to its end and committed."""
    with store.transaction() as connection:
        return [tuple(row) for row in connection.execute(sql, parameters).fetchall()]


def take_slot(store: Store, bucket: str, interval: float, now: float) -> float:
    """The moment of the next free slot of a rate of one message per `interval` seconds (now, when
    the bucket is idle), the slot taken."""
    rows = _returned(store, _TAKE_SLOT, (bucket, now + interval, now, now, interval))
    return float(rows[0][0]) - interval  # type: ignore[arg-type]


def hold_place(store: Store, bucket: str, limit: int, holder: str, *, now: float, lease: float) -> int | None:
    """One of `limit` places of `bucket` for `holder` until now + lease (renewed when it already
    holds one); None while all are held by others."""
    for place in range(limit):
        if _returned(store, _HOLD_PLACE, (bucket, place, holder, now + lease, now)):
            return place
    return None


def renew_place(store: Store, bucket: str, place: int, holder: str, *, until: float) -> None:
    store.execute(
        "UPDATE throttle_holds SET expires_at = ? WHERE bucket = ? AND place = ? AND holder = ?",
        (until, bucket, place, holder),
    )


def free_place(store: Store, bucket: str, place: int, holder: str) -> None:
    store.execute(
        "DELETE FROM throttle_holds WHERE bucket = ? AND place = ? AND holder = ?", (bucket, place, holder)
    )


def count_under(store: Store, bucket: str, allowance: int) -> bool:
    """Count one more against `allowance`; False (nothing counted) when it is used up."""
    return allowance > 0 and bool(_returned(store, _COUNT, (bucket, allowance)))


def counted(store: Store, bucket: str) -> int:
    row = store.fetchone("SELECT used FROM throttle_counts WHERE bucket = ?", (bucket,))
    return int(row[0]) if row else 0


def back_off(store: Store, domain: str, until: float, reply: str) -> None:
    """Nobody sends to `domain` before `until` (a later back-off already recorded stays)."""
    with store.transaction() as connection:
        connection.execute(_BACK_OFF, (domain, until, reply))


def back_offs(store: Store, now: float) -> dict[str, BackOff]:
    """The domains backed off at `now`."""
    rows = store.fetchall("SELECT domain, until_at, reply FROM throttle_backoffs WHERE until_at > ?", (now,))
    return {row[0]: BackOff(row[0], float(row[1]), row[2]) for row in rows}

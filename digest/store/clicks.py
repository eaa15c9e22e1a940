"""Click counts: per issue, slot and link, human and machine apart, and who only where asked.

Privacy first. By default the store keeps counts per link (`link_clicks`: human and machine
clicks), and for unique clickers an opaque key per message (`link_clickers.clicker`: whatever the
click tracker derives from the link's token that tells two messages apart without naming the
subscriber); machine clicks are also counted per reason they were set aside (`machine_clicks`:
head, prefetch, scanner, burst, too-soon, honeypot…), so a report can say what it left out and
why (the open pixel's are not: opens are inflated by design). Only with `[tracking] individual =
true` does a click name its subscriber (`subscriber_clicks`), and those rows go when the
subscriber is erased (ON DELETE CASCADE).

Writers batch: `record_clicks` takes many clicks and writes them in one transaction (a redirect
server flushes its memory every so often and on shutdown). Unique clickers count human clicks
only: a scanner that opened every link of a message is not a reader.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from digest.store.addresses import now_stamp
from digest.store.connection import Store


@dataclass(frozen=True, slots=True)
class Click:
    issue_id: str
    slot: str
    """lead, more-N, sponsored-N, footer, … (digest.model.slot_names), or "open" for the pixel."""
    url: str
    """The original link the redirect sent the reader to."""
    human: bool = True
    reason: str = ""
    """Why a machine click was set aside, in one word or two (head, scanner, burst, …)."""
    clicker: str = ""
    """An opaque key per message, for unique clickers; "" when the link carries none."""
    subscriber_id: int | None = None
    """Only with [tracking] individual = true."""
    at: str = ""
    """ISO 8601 UTC; now when empty."""


@dataclass(frozen=True, slots=True)
class SlotClicks:
    slot: str
    url: str
    human: int
    machine: int
    unique_clickers: int


@dataclass(frozen=True, slots=True)
class IssueClicks:
    human: int = 0
    machine: int = 0
    unique_clickers: int = 0
    """Messages with at least one human click on any link of the issue (the pixel excluded)."""
    machine_reasons: dict[str, int] = field(default_factory=dict)


OPEN_SLOT = "open"


def record_clicks(store: Store, clicks: Iterable[Click]) -> int:
    """Write a batch of clicks in one transaction; the number written."""
    counts: Counter[tuple[str, str, str, bool]] = Counter()
    reasons: Counter[tuple[str, str]] = Counter()
    clickers: set[tuple[str, str, str, str]] = set()
    individual: list[tuple[int, str, str, str, str]] = []
    for click in clicks:
        counts[(click.issue_id, click.slot, click.url, click.human)] += 1
        if not click.human and click.slot != OPEN_SLOT:
            reasons[(click.issue_id, click.reason or "machine")] += 1
        elif click.clicker:
            clickers.add((click.issue_id, click.slot, click.url, click.clicker))
        if click.subscriber_id is not None:
            at = click.at or now_stamp()
            individual.append((click.subscriber_id, click.issue_id, click.slot, click.url, at))
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO link_clicks (issue_id, slot, url, human, machine) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (issue_id, slot, url) DO UPDATE SET human = link_clicks.human + excluded.human,"
            " machine = link_clicks.machine + excluded.machine",
            [(i, s, u, n if human else 0, 0 if human else n) for (i, s, u, human), n in counts.items()],
        )
        db.executemany(
            "INSERT INTO machine_clicks (issue_id, reason, clicks) VALUES (?, ?, ?)"
            " ON CONFLICT (issue_id, reason) DO UPDATE SET clicks = machine_clicks.clicks + excluded.clicks",
            [(i, r, n) for (i, r), n in reasons.items()],
        )
        db.executemany(
            "INSERT INTO link_clickers VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            sorted(clickers),
        )
        db.executemany(
            "INSERT INTO subscriber_clicks (subscriber_id, issue_id, slot, url, at) VALUES (?, ?, ?, ?, ?)",
            individual,
        )
    return counts.total()


def slot_clicks(store: Store, issue_id: str) -> list[SlotClicks]:
    """Each link of an issue that was clicked, in slot order as stored (lead first is the
    caller's to arrange), with its unique human clickers."""
    rows = store.fetchall(
        "SELECT c.slot, c.url, c.human, c.machine,"
        " (SELECT count(*) FROM link_clickers k WHERE k.issue_id = c.issue_id AND k.slot = c.slot"
        "  AND k.url = c.url) AS uniques"
        " FROM link_clicks c WHERE c.issue_id = ? ORDER BY c.slot, c.url",
        (issue_id,),
    )
    return [SlotClicks(r["slot"], r["url"], r["human"], r["machine"], r["uniques"]) for r in rows]


def issue_clicks(store: Store, issue_id: str) -> IssueClicks:
    """An issue's totals over its links (the open pixel excluded) and why machine clicks were set aside."""
    totals = store.fetchone(
        "SELECT coalesce(sum(human), 0) AS human, coalesce(sum(machine), 0) AS machine"
        " FROM link_clicks WHERE issue_id = ? AND slot != ?",
        (issue_id, OPEN_SLOT),
    )
    uniques = store.fetchvalue(
        "SELECT count(DISTINCT clicker) FROM link_clickers WHERE issue_id = ? AND slot != ?",
        (issue_id, OPEN_SLOT),
    )
    reasons = store.fetchall(
        "SELECT reason, clicks FROM machine_clicks WHERE issue_id = ? ORDER BY clicks DESC, reason",
        (issue_id,),
    )
    return IssueClicks(
        human=totals["human"] if totals else 0,
        machine=totals["machine"] if totals else 0,
        unique_clickers=uniques,
        machine_reasons={r["reason"]: r["clicks"] for r in reasons},
    )


def slot_clickers(store: Store, issue_id: str) -> dict[str, int]:
    """Unique human clickers per slot: a message counts once however many of the slot's links it
    clicked (a story's title, picture and summary links are one slot)."""
    rows = store.fetchall(
        "SELECT slot, count(DISTINCT clicker) AS uniques FROM link_clickers WHERE issue_id = ? GROUP BY slot",
        (issue_id,),
    )
    return {r["slot"]: r["uniques"] for r in rows}

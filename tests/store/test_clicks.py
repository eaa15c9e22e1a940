"""Click counts: human and machine apart, unique clickers by message, who only when asked."""

from digest.store import add_subscriber, erase_subscriber, open_store
from digest.store.clicks import (
    OPEN_SLOT,
    Click,
    IssueClicks,
    SlotClicks,
    issue_clicks,
    record_clicks,
    slot_clicks,
)

LEAD = "https://news.example/a"
AD = "https://sponsor.example/offer"


def test_batches_add_up_per_link_with_machines_set_aside_by_reason(store_at):
    store = open_store(store_at("s.db"))
    record_clicks(
        store,
        [
            Click("2026-W10", "lead", LEAD, clicker="m1"),
            Click("2026-W10", "lead", LEAD, clicker="m1"),  # the same reader twice: one unique
            Click("2026-W10", "lead", LEAD, human=False, reason="scanner", clicker="m2"),
        ],
    )
    written = record_clicks(
        store,
        [
            Click("2026-W10", "lead", LEAD, clicker="m3"),
            Click("2026-W10", "sponsored-1", AD, clicker="m3"),
            Click("2026-W10", "sponsored-1", AD, human=False, reason="burst", clicker="m4"),
            Click("2026-W11", "lead", LEAD, clicker="m1"),  # another issue
        ],
    )
    assert written == 4
    assert slot_clicks(store, "2026-W10") == [
        SlotClicks("lead", LEAD, human=3, machine=1, unique_clickers=2),
        SlotClicks("sponsored-1", AD, human=1, machine=1, unique_clickers=1),
    ]
    assert issue_clicks(store, "2026-W10") == IssueClicks(
        human=4, machine=2, unique_clickers=2, machine_reasons={"burst": 1, "scanner": 1}
    )


def test_the_open_pixel_is_kept_apart_from_the_clicks(store_at):
    store = open_store(store_at("s.db"))
    record_clicks(
        store, [Click("2026-W10", OPEN_SLOT, "", clicker="m1"), Click("2026-W10", OPEN_SLOT, "", False)]
    )
    assert issue_clicks(store, "2026-W10") == IssueClicks()
    assert [s.human for s in slot_clicks(store, "2026-W10")] == [1]


def test_individual_clicks_name_the_subscriber_and_go_with_them(store_at):
    store = open_store(store_at("s.db"))
    subscriber, _ = add_subscriber(store, "ada@example.org")
    record_clicks(
        store, [Click("2026-W10", "lead", LEAD), Click("2026-W10", "lead", LEAD, subscriber_id=subscriber.id)]
    )
    assert store.fetchvalue("SELECT count(*) FROM subscriber_clicks") == 1
    erase_subscriber(store, "ada@example.org", b"erasure salt")
    assert store.fetchvalue("SELECT count(*) FROM subscriber_clicks") == 0
    assert issue_clicks(store, "2026-W10").human == 2  # the anonymous counts stay

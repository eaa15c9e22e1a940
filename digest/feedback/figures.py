"""Per-issue figures: what became of an issue once it was sent, with rates (`digest feedback
report`, `digest send`'s summary, the run history; issue 15's sponsor report reuses them).

    sent          the send log's "sent" rows (the receiving server took the message)
    hard, soft    subscribers with a hard / soft bounce for the issue (suppression_events)
    policy        subscribers refused for the sender's reputation (policy_blocks: never suppressed)
    delivered     sent minus the subscribers with any of those three
    complaints    subscribers who marked it as spam
    unsubscribes  subscribers who left after it: the one-click link, a mailto:, the preference page

Bounces and policy blocks are rates over *sent*; complaints and unsubscribes over *delivered* (as
Gmail's and Yahoo's spam rate is: only a delivered message can be reported). Feedback that names
its issue (the return path's token) counts there; feedback that does not is the last issue the
address was sent before it (as store/suppression.py attributes soft bounces). Each subscriber
counts once per kind, however many reports say it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from digest.store import Store
from digest.store.feedback_log import SENT_ISSUES_CTE

KINDS = {
    "hard-bounce": "hard",
    "soft-bounce": "soft",
    "complaint": "complaints",
    "unsubscribe": "unsubscribes",
}
"""suppression_events kinds the figures count, and the figure each is."""
RECENT_ISSUES = 10

REPUTATION_MIN_BLOCKS = 5
REPUTATION_MIN_SHARE = 0.20
"""A receiving domain refusing for policy (5.7.x, a blocklist) at least this many of the issue's
copies to it, and this share of them, is a reputation problem at that domain, not dead addresses."""

# The issue's feedback, one row per report: the subscriber, what it was, the receiving domain.
# A report without an issue id belongs to the issue sent to its subscriber last before it: the
# first EXISTS (one seek) keeps only reports that can be this issue's; `issues` walks the send
# log's issue ids one index seek each, so the last-sent test seeks, never scans the log.
_FEEDBACK_SQL = f"""
WITH RECURSIVE {SENT_ISSUES_CTE}, reports (subscriber_id, kind, domain, issue_id, at) AS (
    SELECT e.subscriber_id, e.kind, NULL, e.issue_id, e.at FROM suppression_events e
    WHERE e.kind IN ('hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe')
    UNION ALL
    SELECT b.subscriber_id, 'policy', b.domain, b.issue_id, b.at FROM policy_blocks b
)
SELECT r.subscriber_id, r.kind,
    COALESCE(r.domain, substr(s.email_key, instr(s.email_key, '@') + 1)) AS domain
FROM reports r LEFT JOIN subscribers s ON s.id = r.subscriber_id
WHERE r.issue_id = :issue OR (r.issue_id IS NULL AND EXISTS (
    SELECT 1 FROM send_log l WHERE l.issue_id = :issue AND l.subscriber_id = r.subscriber_id
        AND l.state = 'sent' AND l.updated_at <= r.at
) AND :issue = (
    SELECT l.issue_id FROM issues JOIN send_log l ON l.issue_id = issues.issue_id
        AND l.subscriber_id = r.subscriber_id
    WHERE l.state = 'sent' AND l.updated_at <= r.at ORDER BY l.updated_at DESC LIMIT 1
))
"""
_SENT_BY_DOMAIN_SQL = """
SELECT substr(s.email_key, instr(s.email_key, '@') + 1) AS domain, COUNT(*) AS sent
FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id
WHERE l.issue_id = ? AND l.state = 'sent' GROUP BY domain
"""


def rate(count: int, over: int) -> float | None:
    """count / over, None when nothing was sent (a rate of nothing is not 0%)."""
    return count / over if over else None


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


@dataclass(frozen=True, slots=True)
class DomainFigures:
    """One receiving domain's share of an issue: copies sent there and what came back."""

    domain: str
    sent: int = 0
    hard: int = 0
    soft: int = 0
    policy: int = 0

    @property
    def reputation_problem(self) -> bool:
        """Many policy refusals at this one domain (see REPUTATION_MIN_BLOCKS / _SHARE)."""
        share = rate(self.policy, self.sent)
        return self.policy >= REPUTATION_MIN_BLOCKS and (share is None or share >= REPUTATION_MIN_SHARE)

    def verdict(self) -> str:
        """In words, when there is something to say."""
        if not self.reputation_problem:
            return ""
        return (
            f"{self.domain} refused {self.policy} of {self.sent} copies for policy (5.7.x, a blocklist): "
            "a reputation problem at that domain, not dead addresses; nobody was suppressed for it"
        )


@dataclass(frozen=True, slots=True)
class IssueFigures:
    """What became of one issue; counts are subscribers (each once per kind)."""

    issue_id: str
    sent: int = 0
    hard: int = 0
    soft: int = 0
    policy_blocks: int = 0
    complaints: int = 0
    unsubscribes: int = 0
    bounced: int = 0
    """Subscribers with a hard or soft bounce or a policy block (each once): sent - delivered."""
    domains: tuple[DomainFigures, ...] = field(default=(), compare=False)
    """The receiving domains that bounced or refused any copy, the most refusals first."""

    @property
    def delivered(self) -> int:
        return max(self.sent - self.bounced, 0)

    @property
    def hard_rate(self) -> float | None:
        return rate(self.hard, self.sent)

    @property
    def soft_rate(self) -> float | None:
        return rate(self.soft, self.sent)

    @property
    def policy_rate(self) -> float | None:
        return rate(self.policy_blocks, self.sent)

    @property
    def complaint_rate(self) -> float | None:
        """Over delivered, as the mailbox providers' spam rate is."""
        return rate(self.complaints, self.delivered)

    @property
    def unsubscribe_rate(self) -> float | None:
        return rate(self.unsubscribes, self.delivered)

    def line(self) -> str:
        """One line: the counts, with bounce rates over sent and the others over delivered."""
        delivered = percent(rate(self.delivered, self.sent))
        return (
            f"{self.issue_id}: sent {self.sent}, delivered {self.delivered} ({delivered}); "
            f"of sent: hard {self.hard} ({percent(self.hard_rate)}), "
            f"soft {self.soft} ({percent(self.soft_rate)}), "
            f"policy {self.policy_blocks} ({percent(self.policy_rate)}); "
            f"of delivered: complaints {self.complaints} ({percent(self.complaint_rate)}), "
            f"unsubscribes {self.unsubscribes} ({percent(self.unsubscribe_rate)})"
        )

    def as_json(self) -> dict[str, object]:
        counts = ("sent", "delivered", "hard", "soft", "policy_blocks", "complaints", "unsubscribes")
        rates = {
            "hard": self.hard_rate,
            "soft": self.soft_rate,
            "policy_blocks": self.policy_rate,
            "complaints": self.complaint_rate,
            "unsubscribes": self.unsubscribe_rate,
        }
        return {
            "issue_id": self.issue_id,
            **{name: getattr(self, name) for name in counts},
            "rates": rates,
            "rates_over": {
                name: "delivered" if name in ("complaints", "unsubscribes") else "sent" for name in rates
            },
            "domains": [
                {
                    "domain": d.domain,
                    "sent": d.sent,
                    "hard": d.hard,
                    "soft": d.soft,
                    "policy": d.policy,
                    "reputation_problem": d.reputation_problem,
                }
                for d in self.domains
            ],
        }


def issue_figures(store: Store, issue_id: str) -> IssueFigures:
    """The figures of `issue_id` as the store has them now (zeros for an issue never sent)."""
    sent = store.fetchvalue(
        "SELECT COUNT(*) FROM send_log WHERE issue_id = ? AND state = 'sent'", (issue_id,)
    )
    who: defaultdict[str, set[int]] = defaultdict(set)
    by_domain: defaultdict[str, defaultdict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for row in store.fetchall(_FEEDBACK_SQL, {"issue": issue_id}):
        kind = KINDS.get(row["kind"], row["kind"])
        subscriber = row["subscriber_id"] if row["subscriber_id"] is not None else -len(who[kind]) - 1
        who[kind].add(subscriber)
        if kind in ("hard", "soft", "policy"):
            by_domain[row["domain"] or "unknown"][kind].add(subscriber)
    return IssueFigures(
        issue_id=issue_id,
        sent=sent,
        hard=len(who["hard"]),
        soft=len(who["soft"]),
        policy_blocks=len(who["policy"]),
        complaints=len(who["complaints"]),
        unsubscribes=len(who["unsubscribes"]),
        bounced=len(who["hard"] | who["soft"] | who["policy"]),
        domains=_domains(store, issue_id, by_domain) if by_domain else (),
    )


def _domains(
    store: Store, issue_id: str, found: defaultdict[str, defaultdict[str, set[int]]]
) -> tuple[DomainFigures, ...]:
    sent = Counter({row["domain"]: row["sent"] for row in store.fetchall(_SENT_BY_DOMAIN_SQL, (issue_id,))})
    domains = [
        DomainFigures(domain, sent[domain], len(kinds["hard"]), len(kinds["soft"]), len(kinds["policy"]))
        for domain, kinds in found.items()
    ]
    return tuple(sorted(domains, key=lambda d: (-d.policy, -(d.hard + d.soft), d.domain)))


def recent_issue_ids(store: Store, count: int = RECENT_ISSUES) -> Iterator[str]:
    """The last `count` issues the send log knows, newest first (an index seek each)."""
    last = store.fetchvalue("SELECT MAX(issue_id) FROM send_log")
    while last is not None and count > 0:
        yield last
        count -= 1
        last = store.fetchvalue("SELECT MAX(issue_id) FROM send_log WHERE issue_id < ?", (last,))


def recent_figures(store: Store, count: int = RECENT_ISSUES) -> list[IssueFigures]:
    """The figures of the last `count` issues, newest first."""
    return [issue_figures(store, issue_id) for issue_id in recent_issue_ids(store, count)]

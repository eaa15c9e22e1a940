"""What one message that came back is: a frozen record the classifier fills and the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FeedbackKind(StrEnum):
    HARD = "hard"
    """A permanent failure of the address itself: no such user or domain, account disabled."""
    SOFT = "soft"
    """It may work later: 4.x.x, mailbox full, too large, greylisting, delayed; and policy blocks."""
    COMPLAINT = "complaint"
    """The recipient marked the message as spam (ARF, a provider's feedback loop)."""
    UNSUBSCRIBE = "unsubscribe"
    """A message to the List-Unsubscribe mailto: address."""
    AUTO_REPLY = "auto-reply"
    """Out of office, vacation, challenge-response: never a bounce."""
    OTHER = "other"
    """Anything else (an ordinary reply, a success notice, something unreadable)."""


@dataclass(frozen=True, slots=True)
class Feedback:
    """One classified message. `recipient` is the subscriber address it is about (lowercased),
    when the message names one; `issue_id` and `subscriber_id` come only from a verified
    return-path token (deliver/return_path.py), never from text anyone could write."""

    kind: FeedbackKind
    recipient: str | None = None
    status: str | None = None
    """The enhanced status code (RFC 3463) when there is one, e.g. "5.1.1"."""
    reason: str = ""
    """Why, in a line: the diagnostic, the feedback type, the header that gave it away."""
    issue_id: str | None = None
    subscriber_id: int | None = None
    message_id: str | None = None
    """The Message-ID of the message that came back (for evidence and de-duplication)."""
    policy_block: bool = False
    """A soft failure that is the sender's reputation, not the address (5.7.x blocklist, spam
    policy): never suppress the subscriber for it; alert the editors instead."""
    recipients: tuple[str, ...] = ()
    """Every address a bounce names (some report several); `recipient` is the first."""
    unsubscribe_token: str | None = None
    """A mailto: unsubscribe's token, when the address carried one that did not verify for its
    sender: act.py checks it against the subscriber it names (never believed otherwise)."""

    def as_json(self, file: str) -> dict[str, object]:
        """The object `digest feedback check --json` prints for one message."""
        return {
            "file": file,
            "kind": str(self.kind),
            "recipient": self.recipient,
            "status": self.status,
            "reason": self.reason,
            "issue_id": self.issue_id,
            "subscriber_id": self.subscriber_id,
        }

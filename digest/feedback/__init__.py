"""What comes back after a send: bounces, complaints, auto-replies and mailto: unsubscribes,
each message classified into a `Feedback` (classify.py says how)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from digest.faces import lazy_face

_EXPORTS: dict[str, tuple[str, ...]] = {
    "digest.feedback.classify": ("classify",),
    "digest.feedback.model": (
        "Feedback",
        "FeedbackKind",
    ),
    "digest.feedback.sources": (
        "MessageSource",
        "read_sources",
    ),
}

__all__ = ["Feedback", "FeedbackKind", "MessageSource", "classify", "read_sources"]

__getattr__, __dir__ = lazy_face(globals(), _EXPORTS)

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from digest.feedback.classify import classify
    from digest.feedback.model import Feedback, FeedbackKind
    from digest.feedback.sources import MessageSource, read_sources

"""What comes back after a send: bounces, complaints, auto-replies and mailto: unsubscribes,
each message classified into a `Feedback` (classify.py says how)."""

from digest.feedback.classify import classify
from digest.feedback.model import Feedback, FeedbackKind
from digest.feedback.sources import MessageSource, read_sources

__all__ = ["Feedback", "FeedbackKind", "MessageSource", "classify", "read_sources"]

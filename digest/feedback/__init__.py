"""Feedback after the send: where it arrives (mailbox.py), what it is, and what digest does with it."""

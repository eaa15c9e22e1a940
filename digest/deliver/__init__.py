"""Turning a rendered issue into mail: MIME messages, SMTP, the send log."""

"""Auto-replies: out of office, vacation, challenge-response. Recognised so they are never
counted as bounces; headers first (RFC 3834 and the de-facto ones), the subject last."""

from __future__ import annotations

import re
from email.message import Message

from digest.feedback.parts import decoded_header, header

_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|answer|antwort)|out of (the )?office|away from|on vacation"
    r"|vacation|abwesenheit|absence|r[ée]ponse automatique|respuesta autom[áa]tica|risposta automatica"
    r"|fuera de la oficina|autosvar|please confirm your (e-?mail|message)|verify your (e-?mail|message)"
    r"|challenge|spam ?arrest)",
    re.IGNORECASE,
)
_CHALLENGE_HEADERS = ("X-Spam-Arrest", "X-Boxbe-Challenge", "X-Challenge", "X-Sanebox-Challenge")


def auto_reply_reason(message: Message) -> str | None:
    """Why `message` is an automatic reply, or None when nothing says so."""
    submitted = header(message, "Auto-Submitted").strip().lower()
    if submitted and not submitted.startswith("no"):
        return f"Auto-Submitted: {submitted}"
    for name in (
        "X-Autoreply",
        "X-Autorespond",
        "X-Autoresponder",
        "X-Auto-Response-Suppress",
        *_CHALLENGE_HEADERS,
    ):
        if name == "X-Auto-Response-Suppress":
            continue  # set on ordinary Outlook mail too; says nothing
        if header(message, name):
            return f"{name} header"
    precedence = header(message, "Precedence").strip().lower()
    if precedence in ("auto_reply", "auto-reply"):
        return f"Precedence: {precedence}"
    subject = decoded_header(message, "Subject")
    if _SUBJECT.search(subject):
        return f"subject {subject.strip()[:60]!r}"
    if precedence in ("bulk", "junk", "list") and subject.lower().lstrip().startswith("re:"):
        return f"Precedence: {precedence}"
    return None

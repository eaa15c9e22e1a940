"""Turning a rendered issue into mail: MIME messages, SMTP, the send log.

The face of the stage. `digest.deliver.send` (prepare an issue once, send it, proof it, write
it out) joins it once it no longer reaches up into the pipeline.
"""

from digest.deliver.dkim_signing import DkimSigner, load_signer
from digest.deliver.ledger import Ledger, NoLedger, SendLedger, SendState
from digest.deliver.message import (
    ONE_CLICK,
    SEND_TIME,
    build_message,
    from_header,
    header_text,
    sender_domain,
)
from digest.deliver.pool import (
    EmlFolder,
    FixedMessage,
    MessageSource,
    Outcome,
    SendOptions,
    SendReport,
    Transport,
    deliver,
    smtp_transports,
)
from digest.deliver.smtp import SmtpConnection, SmtpError, SmtpTarget, resolve_target
from digest.deliver.splice import Markers, MessageTemplate, Recipient, RecipientValues, build_template
from digest.deliver.tokens import (
    PROOF_ADDRESS,
    PROOF_SUBSCRIBER_ID,
    SECRET_ENV,
    InvalidToken,
    SigningSecret,
    load_secret,
    make_token,
    token_subscriber_id,
    verify_token,
)

__all__ = [
    "ONE_CLICK",
    "PROOF_ADDRESS",
    "PROOF_SUBSCRIBER_ID",
    "SECRET_ENV",
    "SEND_TIME",
    "DkimSigner",
    "EmlFolder",
    "FixedMessage",
    "InvalidToken",
    "Ledger",
    "Markers",
    "MessageSource",
    "MessageTemplate",
    "NoLedger",
    "Outcome",
    "Recipient",
    "RecipientValues",
    "SendLedger",
    "SendOptions",
    "SendReport",
    "SendState",
    "SigningSecret",
    "SmtpConnection",
    "SmtpError",
    "SmtpTarget",
    "Transport",
    "build_message",
    "build_template",
    "deliver",
    "from_header",
    "header_text",
    "load_secret",
    "load_signer",
    "make_token",
    "resolve_target",
    "sender_domain",
    "smtp_transports",
    "token_subscriber_id",
    "verify_token",
]

"""Turning a rendered issue into mail: MIME messages, SMTP, the send log. The stage's face."""

from __future__ import annotations

from typing import TYPE_CHECKING

from digest.faces import lazy_face

_EXPORTS: dict[str, tuple[str, ...]] = {
    "digest.deliver.dkim_signing": (
        "DkimSigner",
        "load_signer",
    ),
    "digest.deliver.ledger": (
        "Ledger",
        "NoLedger",
        "SendLedger",
        "SendState",
    ),
    "digest.deliver.message": (
        "MESSAGE_POLICY",
        "ONE_CLICK",
        "SEND_TIME",
        "build_message",
        "from_header",
        "header_text",
        "sender_domain",
    ),
    "digest.deliver.pool": (
        "Outcome",
        "SendOptions",
        "SendReport",
        "deliver",
    ),
    "digest.deliver.preference_tokens": (
        "FORM_TOKEN_LIFETIME",
        "erasure_salt",
        "form_token",
        "preferences_token",
        "verify_form_token",
        "verify_preferences_token",
    ),
    "digest.deliver.send": (
        "PROOF_PREFIX",
        "IssueSendReport",
        "PreparedSend",
        "Purpose",
        "SendError",
        "check_ready",
        "count_to_send",
        "open_issue_store",
        "parse_recipients",
        "prepare_issue",
        "render_for_delivery",
        "send_issue",
        "send_proofs",
        "write_dry_run",
    ),
    "digest.deliver.smtp": (
        "ServerUnreachable",
        "SmtpConnection",
        "SmtpError",
    ),
    "digest.deliver.smtp_target": (
        "SmtpTarget",
        "resolve_target",
    ),
    "digest.deliver.splice": (
        "Markers",
        "MessageTemplate",
        "Recipient",
        "RecipientValues",
        "build_template",
    ),
    "digest.deliver.tokens": (
        "PROOF_ADDRESS",
        "PROOF_SUBSCRIBER_ID",
        "SECRET_ENV",
        "InvalidToken",
        "SigningSecret",
        "load_secret",
        "make_token",
        "signature",
        "token_subscriber_id",
        "verify_token",
    ),
    "digest.deliver.transports": (
        "EmlFolder",
        "FixedMessage",
        "MessageSource",
        "Transport",
        "smtp_transports",
    ),
}

__all__ = [
    "FORM_TOKEN_LIFETIME",
    "MESSAGE_POLICY",
    "ONE_CLICK",
    "PROOF_ADDRESS",
    "PROOF_PREFIX",
    "PROOF_SUBSCRIBER_ID",
    "SECRET_ENV",
    "SEND_TIME",
    "DkimSigner",
    "EmlFolder",
    "FixedMessage",
    "InvalidToken",
    "IssueSendReport",
    "Ledger",
    "Markers",
    "MessageSource",
    "MessageTemplate",
    "NoLedger",
    "Outcome",
    "PreparedSend",
    "Purpose",
    "Recipient",
    "RecipientValues",
    "SendError",
    "SendLedger",
    "SendOptions",
    "SendReport",
    "SendState",
    "ServerUnreachable",
    "SigningSecret",
    "SmtpConnection",
    "SmtpError",
    "SmtpTarget",
    "Transport",
    "build_message",
    "build_template",
    "check_ready",
    "count_to_send",
    "deliver",
    "erasure_salt",
    "form_token",
    "from_header",
    "header_text",
    "load_secret",
    "load_signer",
    "make_token",
    "open_issue_store",
    "parse_recipients",
    "preferences_token",
    "prepare_issue",
    "render_for_delivery",
    "resolve_target",
    "send_issue",
    "send_proofs",
    "sender_domain",
    "signature",
    "smtp_transports",
    "token_subscriber_id",
    "verify_form_token",
    "verify_preferences_token",
    "verify_token",
    "write_dry_run",
]

__getattr__, __dir__ = lazy_face(globals(), _EXPORTS)

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from digest.deliver.dkim_signing import DkimSigner, load_signer
    from digest.deliver.ledger import Ledger, NoLedger, SendLedger, SendState
    from digest.deliver.message import (
        MESSAGE_POLICY,
        ONE_CLICK,
        SEND_TIME,
        build_message,
        from_header,
        header_text,
        sender_domain,
    )
    from digest.deliver.pool import Outcome, SendOptions, SendReport, deliver
    from digest.deliver.preference_tokens import (
        FORM_TOKEN_LIFETIME,
        erasure_salt,
        form_token,
        preferences_token,
        verify_form_token,
        verify_preferences_token,
    )
    from digest.deliver.send import (
        PROOF_PREFIX,
        IssueSendReport,
        PreparedSend,
        Purpose,
        SendError,
        check_ready,
        count_to_send,
        open_issue_store,
        parse_recipients,
        prepare_issue,
        render_for_delivery,
        send_issue,
        send_proofs,
        write_dry_run,
    )
    from digest.deliver.smtp import ServerUnreachable, SmtpConnection, SmtpError
    from digest.deliver.smtp_target import SmtpTarget, resolve_target
    from digest.deliver.splice import Markers, MessageTemplate, Recipient, RecipientValues, build_template
    from digest.deliver.tokens import (
        PROOF_ADDRESS,
        PROOF_SUBSCRIBER_ID,
        SECRET_ENV,
        InvalidToken,
        SigningSecret,
        load_secret,
        make_token,
        signature,
        token_subscriber_id,
        verify_token,
    )
    from digest.deliver.transports import EmlFolder, FixedMessage, MessageSource, Transport, smtp_transports

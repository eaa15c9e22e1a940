"""Who the editor previews the issue as: a subscriber with a name, one without, or a proof."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr

from digest.deliver.send import PROOF_PREFIX


@dataclass(frozen=True, slots=True)
class Persona:
    key: str
    label: str
    name: str
    address: str
    proof: bool = False

    @property
    def recipient(self) -> str:
        """The To: line as an inbox shows it."""
        return formataddr((self.name, self.address)) if self.name else self.address

    def subject(self, subject: str) -> str:
        return f"{PROOF_PREFIX}{subject}" if self.proof else subject


PERSONAS: tuple[Persona, ...] = (
    Persona("named", "Subscriber with a name", name="Ana Ruiz", address="ana.ruiz@example.com"),
    Persona("anonymous", "Subscriber without a name", name="", address="reader@example.com"),
    Persona("proof", "Proof", name="", address="editor@example.com", proof=True),
)
DEFAULT_PERSONA = PERSONAS[0]


def persona(key: str | None) -> Persona:
    """The persona called `key`; an unknown or missing key falls back to the default one."""
    return next((p for p in PERSONAS if p.key == key), DEFAULT_PERSONA)

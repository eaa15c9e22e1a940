"""What lint reports: findings (level, code, where, how to fix) and the report over all of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

from digest.words import plural


class Level(StrEnum):
    ERROR = "error"
    """Would go wrong in front of subscribers or filters: `digest lint` exits 1."""
    WARNING = "warning"
    """Worth a look before sending; `digest lint` still exits 0."""


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    code: str
    """Stable identifier, e.g. ``img-alt-missing``; documented in the README."""
    message: str
    where: str
    """The element or line it concerns, e.g. ``line 212 <img src="https://...">``."""
    fix: str
    """How to fix it, in one sentence."""

    def as_dict(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class LintReport:
    source: str
    """What was linted: an issue folder, an .html or an .eml file."""
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level is Level.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level is Level.WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        errors, warnings = len(self.errors), len(self.warnings)
        if not errors and not warnings:
            return "lint: no problems"
        return f"lint: {plural(errors, 'error')}, {plural(warnings, 'warning')}"

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.as_dict() for f in self.findings],
        }

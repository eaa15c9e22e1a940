"""The checks lint runs: each is a pure function EmailDocument → findings, registered by decorator."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from digest.lint.document import EmailDocument
from digest.lint.findings import Finding

CheckFunction = Callable[[EmailDocument], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    run: CheckFunction
    description: str


CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under `name`; its docstring's first line describes it in `digest lint --list`."""

    def register(function: CheckFunction) -> CheckFunction:
        if name in CHECKS:
            raise ValueError(f"two lint checks named {name!r}")
        doc = (function.__doc__ or "").strip().splitlines()
        CHECKS[name] = Check(name=name, run=function, description=doc[0] if doc else "")
        return function

    return register

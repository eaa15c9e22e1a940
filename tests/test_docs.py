"""The README documents what a user meets: every command, every lint code, every exit code of
`digest run`. Each test fails when something is added without its documentation (as Datasette's
tests/test_docs.py does for its settings; the settings keys are checked in tests/settings/)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from digest.cli import COMMANDS
from digest.runs.result import ExitCode

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHECKS = ROOT / "digest" / "lint" / "checks"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_documented(command: str):
    assert re.search(rf"`digest {command}\b", README), f"`digest {command}` is not in the README"


def _code_patterns() -> set[str]:
    """Every code a lint check can report: a literal, or an f-string read as a pattern."""
    patterns = set()
    for path in sorted(CHECKS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding"):
                continue
            code = node.args[1] if len(node.args) > 1 else None
            code = code or next((k.value for k in node.keywords if k.arg == "code"), None)
            if isinstance(code, ast.Constant):
                patterns.add(re.escape(code.value))
            elif isinstance(code, ast.JoinedStr):
                parts = [re.escape(p.value) if isinstance(p, ast.Constant) else ".+" for p in code.values]
                patterns.add("".join(parts))
            else:
                raise AssertionError(f"{path.name}:{node.lineno}: a lint code must be a string literal")
    return patterns


def _documented_codes() -> set[str]:
    """The codes in the README's lint table; `-suffix` shorthands take the first code's stem."""
    codes = set()
    for row in re.findall(r"^\| (`[^|]+) \|", README, flags=re.MULTILINE):
        names = re.findall(r"`([^`]+)`", row)
        stem = names[0].rsplit("-", 1)[0]
        codes.update(stem + name if name.startswith("-") else name for name in names)
    return codes


def test_the_lint_codes_are_found():
    assert len(_code_patterns()) >= 40


@pytest.mark.parametrize("pattern", sorted(_code_patterns()))
def test_every_lint_code_is_documented(pattern: str):
    documented = _documented_codes()
    assert any(re.fullmatch(pattern, code) for code in documented), f"lint code {pattern!r} is undocumented"


@pytest.mark.parametrize("code", list(ExitCode))
def test_every_run_exit_code_is_documented(code: ExitCode):
    assert re.search(rf"^\| {code.value} \| \S", README, flags=re.MULTILINE), code

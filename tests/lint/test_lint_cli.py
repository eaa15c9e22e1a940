"""`digest lint` on an issue folder, a built .html and an .eml; `digest build` prints lint's summary."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from digest.cli import main
from digest.pipeline import build_issue
from tests.conftest import SAMPLE_WEEKS


def lint(*args: str):
    return CliRunner().invoke(main, ["lint", *map(str, args)])


def test_clean_issue_folder_exits_0():
    result = lint(SAMPLE_WEEKS["tidewater"])
    assert result.exit_code == 0, result.output
    assert "lint: no problems" in result.output


def test_built_html_and_eml(tmp_path: Path):
    built = build_issue(SAMPLE_WEEKS["meridian"], tmp_path / "out")
    for path in built.files["html"], built.files["eml"]:
        result = lint(path, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["ok"] and report["errors"] == 0 and report["findings"] == []


def test_errors_exit_1_with_where_and_fix(tmp_path: Path):
    built = build_issue(SAMPLE_WEEKS["meridian"], tmp_path / "out")
    html = built.files["html"]
    html.write_text(html.read_text().replace('alt="Vladimir Putin speaking at a podium in the Kremlin" ', ""))
    result = lint(html)
    assert result.exit_code == 1
    assert "error   img-alt-missing  line " in result.output
    assert "fix: " in result.output
    # The photo is also the link to the story: without alt, that link has no name either.
    assert "error   link-text-missing" in result.output
    assert "lint: 2 errors, 0 warnings" in result.output
    data = json.loads(lint(html, "--json").output)
    assert {f["code"] for f in data["findings"]} == {"img-alt-missing", "link-text-missing"}
    assert all(set(f) == {"level", "code", "message", "where", "fix"} for f in data["findings"])


def test_warnings_only_exit_0(tmp_path: Path):
    eml = build_issue(SAMPLE_WEEKS["meridian"], tmp_path / "out").files["eml"]
    raw = eml.read_bytes()
    long_subject = b"Subject: " + b"A subject line far too long for any phone's inbox row to show in full"
    eml.write_bytes(raw.replace(b"Subject: The Kremlin goes recruiting next door", long_subject, 1))
    result = lint(eml)
    assert result.exit_code == 0, result.output
    assert "warning subject-too-long" in result.output
    assert "lint: 0 errors, 1 warning" in result.output


def test_unreadable_inputs_are_one_line_errors(tmp_path: Path):
    result = lint(tmp_path / "missing.html")
    assert result.exit_code == 2 and "no such file or folder" in result.output
    (tmp_path / "notes.txt").write_text("hello")
    result = lint(tmp_path / "notes.txt")
    assert result.exit_code == 2 and "expected an issue folder" in result.output


def test_build_prints_the_lint_summary(tmp_path: Path):
    result = CliRunner().invoke(main, ["build", str(SAMPLE_WEEKS["meridian"]), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "lint" in result.output and "no problems" in result.output


def test_build_lists_findings(issue_dir: Path, tmp_path: Path):
    toml = issue_dir / "issue.toml"
    toml.write_text(
        toml.read_text().replace("date = 2025-02-03", 'date = 2025-02-03\nsubject = "' + "x" * 70 + '"')
    )
    result = CliRunner().invoke(main, ["build", str(issue_dir), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "subject-too-long" in result.output

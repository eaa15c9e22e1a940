"""`digest feedback check`: files, folders and an mbox classified through the CLI, nothing stored."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

from click.testing import CliRunner

from digest.cli import main
from tests.feedback.corpus import CORPUS, SECRET

FIELDS = {"file", "kind", "recipient", "status", "reason", "issue_id", "subscriber_id"}


def run(*args: object, secret: bytes | None = SECRET, cwd: Path | None = None):
    env = {"DIGEST_SECRET": secret.decode() if secret else ""}
    return CliRunner().invoke(main, ["feedback", "check", *map(str, args)], env=env)


def test_json_lines_one_object_per_message_with_the_return_path_ids(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no digest.toml here: nothing but DIGEST_SECRET verifies tokens
    result = run("--json", CORPUS / "written" / "verp-forwarded.eml", CORPUS / "rfc")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 1 + len(list((CORPUS / "rfc").glob("*.eml")))
    assert all(set(row) == FIELDS for row in rows)
    forwarded = rows[0]
    assert forwarded["kind"] == "hard"
    assert (forwarded["issue_id"], forwarded["subscriber_id"]) == ("2025-W03", 1077)
    abuse = next(row for row in rows if row["file"].endswith("rfc5965-b1-abuse.eml"))
    assert (abuse["kind"], abuse["recipient"]) == ("complaint", "user@example.com")


def test_without_a_secret_the_ids_stay_null(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("--json", CORPUS / "written" / "verp-forwarded.eml", secret=None)
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert (row["kind"], row["issue_id"], row["subscriber_id"]) == ("hard", None, None)


def test_an_mbox_is_read_message_by_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    box = mailbox.mbox(tmp_path / "returned.mbox")
    names = ["gmail-dsn-no-such-user.eml", "complaint-yahoo-arf.eml", "autoreply-rfc3834-out-of-office.eml"]
    for name in names:
        box.add((CORPUS / "written" / name).read_bytes())
    box.close()
    result = run("--json", tmp_path / "returned.mbox")
    assert result.exit_code == 0, result.output
    kinds = [json.loads(line)["kind"] for line in result.output.splitlines()]
    assert kinds == ["hard", "complaint", "auto-reply"]


def test_the_readable_table_names_kind_recipient_and_status(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(CORPUS / "written" / "outlook-dsn-spamhaus-block.eml")
    assert result.exit_code == 0, result.output
    assert "soft (policy block: alert, never suppress)\trosa@outlook.example\t5.7.1" in result.output


def test_an_unreadable_path_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(tmp_path / "missing.eml")
    assert result.exit_code == 2
    missing = tmp_path / "missing.eml"
    assert result.output.strip().splitlines() == [
        f"error: {missing}: cannot read it: No such file or directory"
    ]

"""One person's data through the CLI (issue 14): `subscribers show ADDR [--json]`, `export --address`
(the subject-access report) and `erase` (GDPR erasure: only a salted hash is kept, and neither
`add` nor `import` brings the address back; a confirmed sign-up may)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.deliver.ledger import SendLedger
from digest.deliver.preference_tokens import erasure_salt
from digest.deliver.splice import Recipient
from digest.store import (
    ConsentEvent,
    ConsentKind,
    ConsentMethod,
    Evidence,
    find_subscriber,
    forget_erasure,
    open_store,
    record_consent,
    record_soft_bounce,
    record_unsubscribe,
    resubscribe,
)
from digest.store.subscribers import add_subscriber
from tests.conftest import TEST_SECRET

ENV = {"DIGEST_SECRET": TEST_SECRET}
PERSONAL_TABLES = ("send_log", "suppressions", "suppression_events", "consent_events")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A list where Ana has a history of every kind, and Bo is there beside her."""
    monkeypatch.chdir(tmp_path)  # no digest.toml of another test's around
    path = tmp_path / "digest.db"
    store = open_store(path)
    ana, _ = add_subscriber(store, "ana@example.com", "Ana Lima")
    add_subscriber(store, "bo@example.com", "Bo")
    with store.transaction() as connection:
        given = ConsentEvent(
            ana.id,
            ConsentKind.GIVEN,
            ConsentMethod.FORM,
            "2026-01-05T09:00:00+00:00",
            source="form: /subscribe",
        )
        record_consent(connection, given)
    ledger = SendLedger(store, "2026-W02")
    recipient = Recipient(ana.email, ana.name, ana.id)
    assert ledger.claim(recipient)
    ledger.record_sent(recipient, "250 ok")
    ledger.flush()
    record_soft_bounce(store, ana.email, Evidence("4.2.2 mailbox full", "<dsn-7@mx.example>", "2026-W02"))
    record_unsubscribe(store, ana.email, Evidence("unsubscribe link"))
    resubscribe(store, ana.email, "asked by email")
    store.close()
    return path


def digest(db: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, ["subscribers", "--db", str(db), *args], env=env)


def test_show_prints_the_record_consent_status_changes_issues_sent_and_feedback(db: Path):
    shown = digest(db, "show", "ANA@example.com")
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert out.startswith("ana@example.com\n  name: Ana Lima; greeted as: -\n  status: active since ")
    assert "consent:\n  2026-01-05T09:00:00+00:00  given  form  form: /subscribe\n" in out
    assert re.search(
        r"status changes:\n  \S+  unsubscribe  unsubscribe link\n  \S+  resubscribe  asked by email\n", out
    )
    assert re.search(r"issues sent:\n  2026-W02  sent  \S+\n", out)
    assert re.search(
        r"feedback:\n  \S+  soft-bounce  4.2.2 mailbox full  <dsn-7@mx.example>  2026-W02\n", out
    )


def test_show_json_and_export_address_are_the_same_report(db: Path, tmp_path: Path):
    shown = json.loads(digest(db, "show", "ana@example.com", "--json").stdout)
    exported = json.loads(digest(db, "export", "--address", "ana@example.com").stdout)
    assert shown == exported
    assert exported["report"] == "subject access"
    assert (
        exported["subscriber"]["email"] == "ana@example.com" and exported["subscriber"]["name"] == "Ana Lima"
    )
    assert [c["kind"] for c in exported["consent"]] == ["given"]
    assert [e["kind"] for e in exported["status_changes"]] == ["unsubscribe", "resubscribe"]
    assert [(s["issue_id"], s["state"]) for s in exported["issues_sent"]] == [("2026-W02", "sent")]
    assert [f["message_id"] for f in exported["feedback"]] == ["<dsn-7@mx.example>"]
    assert "bo@example.com" not in json.dumps(exported)
    out = tmp_path / "ana.json"
    written = digest(db, "export", "--address", "ana@example.com", "--out", str(out))
    assert written.exit_code == 0 and json.loads(out.read_text(encoding="utf-8")) == exported


def test_an_unknown_address_is_one_line_and_exit_1(db: Path, tmp_path: Path):
    for command in (["show", "nobody@example.com"], ["show", "nobody@example.com", "--json"]):
        result = digest(db, *command)
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == "error: nobody@example.com is not on the list\n"
    out = tmp_path / "report.json"
    result = digest(db, "export", "--address", "nobody@example.com", "--out", str(out))
    assert result.exit_code == 1 and not out.exists()
    assert digest(db, "export", "--address", "ana@example.com", "--status", "active").exit_code == 2


@pytest.mark.parametrize("command", [["erase"], ["remove", "--forget"]])
def test_erase_leaves_only_a_salted_hash_and_add_or_import_cannot_bring_it_back(
    db: Path, command, tmp_path: Path
):
    store = open_store(db)
    ana_id = find_subscriber(store, "ana@example.com").id
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"ana@example.com" in db.read_bytes()
    erased = digest(db, *command, "ana@example.com", env=ENV)
    assert erased.exit_code == 0, erased.output
    assert erased.stdout == "ana@example.com: erased (only a salted hash is kept)\n"
    assert find_subscriber(store, "ana@example.com") is None
    for table in PERSONAL_TABLES:
        assert store.fetchvalue(f"SELECT COUNT(*) FROM {table} WHERE subscriber_id = ?", (ana_id,)) == 0, (
            table
        )
    (kept,) = store.fetchall("SELECT hash FROM erased_addresses")
    assert "ana" not in kept[0] and kept[0].startswith("sha256:")
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"ana@example.com" not in db.read_bytes()  # secure_delete: not left in a free page
    assert find_subscriber(store, "bo@example.com") is not None
    store.close()

    again = digest(db, "add", "Ana@Example.com", env=ENV)
    assert again.exit_code == 2 and "was erased at the person's request" in again.stderr
    listing = tmp_path / "list.csv"
    listing.write_text("email,name\nANA@example.com,Ana\ncy@example.com,Cy\n", encoding="utf-8")
    imported = digest(db, "import", str(listing), env=ENV)
    assert imported.exit_code == 0, imported.output
    assert "1 added" in imported.stdout and "1 erased address left out" in imported.stdout
    without_secret = digest(db, "add", "dee@example.com", env={"DIGEST_SECRET": ""})
    assert without_secret.exit_code == 2 and "erased addresses" in without_secret.stderr
    assert digest(db, "show", "ana@example.com").exit_code == 1
    assert (
        digest(db, "erase", "ana@example.com", env=ENV).stdout
        == "ana@example.com: erased already (only a salted hash is kept)\n"
    )
    unknown = digest(db, "erase", "zed@example.com", env=ENV)
    assert unknown.exit_code == 2 and unknown.stderr == "error: no subscriber 'zed@example.com'\n"


def test_erasing_needs_the_secret_and_a_confirmed_sign_up_may_lift_the_hash(db: Path):
    refused = digest(db, "erase", "ana@example.com", env={"DIGEST_SECRET": ""})
    assert refused.exit_code == 2 and "DIGEST_SECRET" in refused.stderr
    assert digest(db, "erase", "ana@example.com", env=ENV).exit_code == 0
    salt = erasure_salt(TEST_SECRET.encode())
    store = open_store(db)
    with store.transaction() as connection:  # what a confirmed double opt-in does: fresh consent
        assert forget_erasure(connection, "ANA@example.com", salt)
    subscriber, _ = add_subscriber(store, "ana@example.com", salt=salt)
    assert subscriber.name == "" and subscriber.status == "active"
    store.close()

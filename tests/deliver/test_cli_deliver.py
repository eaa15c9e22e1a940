"""`digest subscribers`, `digest send` and `digest serve` as a user types them."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from tests.conftest import TEST_SECRET
from tests.smtp_server import Faults, SmtpTestServer


@pytest.fixture
def run(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("DIGEST_SECRET", "DIGEST_SMTP_HOST", "DIGEST_SMTP_PORT", "DIGEST_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke


def test_import_prints_each_bad_line_and_a_summary(run, tmp_path: Path):
    (tmp_path / "list.csv").write_text("email,name\nana@example.com,Ana\nbroken,B\nANA@example.com,\n")
    result = run("subscribers", "import", "list.csv")
    assert result.exit_code == 1
    assert "list.csv: line 3: An email address must have an @-sign. (got 'broken')" in result.stderr
    assert "3 row(s): 1 added, 0 updated, 1 duplicate(s) merged, 1 skipped" in result.stdout
    assert run("subscribers", "count").stdout.strip() == "1"
    assert (tmp_path / "digest.db").is_file()  # the default store: ./digest.db without a digest.toml


def test_add_remove_list_count_export(run):
    assert run("subscribers", "add", "bo@example.com", "--name", "Bo").stdout == "bo@example.com: added\n"
    run("subscribers", "add", "cy@example.com")
    assert run("subscribers", "remove", "cy@example.com").stdout == "cy@example.com: unsubscribed\n"
    refused = run("subscribers", "add", "cy@example.com")
    assert refused.exit_code == 2
    assert (
        refused.stderr == "error: cy@example.com is suppressed (unsubscribe: removed by an operator); "
        "`digest subscribers resubscribe cy@example.com --reason TEXT` brings them back if they asked\n"
    )
    assert run("subscribers", "count", "--by-status").stdout == "active\t1\nunsubscribed\t1\nbounced\t0\n"
    listed = run("subscribers", "list", "--status", "active").stdout.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [["bo@example.com", "Bo", "active"]]
    assert run("subscribers", "export").stdout.startswith(
        "email,name,status,status_changed_at,suppression_reason,suppression_evidence\nbo@example.com,Bo,"
    )
    assert (
        run("subscribers", "remove", "nobody@example.com").stderr
        == "error: no subscriber 'nobody@example.com'\n"
    )


def test_dry_run_of_a_bundled_sample_works_with_no_configuration(run, sample_copy, tmp_path: Path):
    issue = sample_copy("meridian")
    run("subscribers", "add", "ana@example.com", "--name", "Ana")
    result = run("send", issue, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "development secret" in result.stderr
    assert "wrote 1 message(s) to out/send-2025-W02" in result.stdout
    assert (tmp_path / "out" / "send-2025-W02" / "000001-ana@example.com.eml").is_file()


def test_a_real_send_needs_a_secret_and_a_host(run, sample_copy):
    issue = sample_copy("meridian")
    no_secret = run("send", issue)
    assert no_secret.exit_code == 2 and no_secret.stderr.startswith("error: no unsubscribe signing secret")
    assert len(no_secret.stderr.splitlines()) == 1
    no_host = run("send", issue, env={"DIGEST_SECRET": TEST_SECRET})
    assert (
        no_host.stderr == "error: [smtp] host is not set (nor DIGEST_SMTP_HOST): it is needed to send mail\n"
    )
    bad_proof = run("send", issue, "--test-to", "not-an-address", env={"DIGEST_SECRET": TEST_SECRET})
    assert bad_proof.stderr.startswith("error: --test-to 'not-an-address':")


def test_a_proof_address_cannot_smuggle_a_header(run, send_project: Path):
    with SmtpTestServer() as server:
        env = server.environ(DIGEST_SECRET=TEST_SECRET)
        smuggled = run(
            "send", send_project, "--test-to", "Ed\r\nBcc: victim@example.com <ed@example.com>", env=env
        )
        plain = run("send", send_project, "--test-to", "Ed \u202eEvil\u0007 <ed@example.com>", env=env)
    assert smuggled.exit_code == 2 and "must be on one line" in smuggled.stderr
    assert plain.exit_code == 0, plain.output
    (received,) = server.received
    assert received.rcpt_tos == ["ed@example.com"]
    # The bell goes, and so does the bidi override (issue 18: 11): it would show "Ed livE".
    assert received.message()["To"].addresses[0].display_name == "Ed Evil"


def test_send_then_send_again(run, send_project: Path):
    os.chdir(send_project.parent)  # where digest.toml is: `subscribers` uses its [store]
    for n in range(5):
        run("subscribers", "add", f"reader{n}@example.com")
    with SmtpTestServer() as server:
        env = server.environ(DIGEST_SECRET=TEST_SECRET)
        first = run("send", send_project, env=env)
        second = run("send", send_project, env=env)
        proof = run("send", send_project, "--test-to", "editor@example.com", env=env)
    assert first.exit_code == 0, first.output
    assert re.search(r"sent +5 ", first.stdout) and re.search(r"skipped +0 already", first.stdout)
    assert re.search(r"sent +0 ", second.stdout) and re.search(r"skipped +5 already", second.stdout)
    assert proof.exit_code == 0 and re.search(r"proofs +1 sent", proof.stdout)
    assert sum(server.copies.values()) == 6


def test_serve_refuses_to_run_without_a_real_secret(run):
    result = run("serve", "--port", "8099")
    assert result.exit_code == 2 and "no unsubscribe signing secret" in result.stderr


def test_send_runs_the_same_preflight_and_refuses_errors_unless_forced(run, send_project: Path):
    """No path sends what lint calls an error (issue 18, item 6; issue 12, item 1d): an http:// photo
    stops `digest send` with the verdict `digest build` prints; --force sends it anyway."""
    os.chdir(send_project.parent)
    for n in range(3):
        run("subscribers", "add", f"reader{n}@example.com")
    story = send_project / "stories" / "insecure-photo.md"
    story.write_text(
        "---\ntitle: A photo served over http\nurl: https://meridian-media.example/insecure\n"
        "priority: 9\nimage: http://meridian-media.example/photo.jpg\nimage_alt: A photo\n---\nText.\n",
        encoding="utf-8",
    )
    with SmtpTestServer() as server:
        env = server.environ(DIGEST_SECRET=TEST_SECRET)
        refused = run("send", send_project, env=env)
        assert sum(server.copies.values()) == 0
        forced = run("send", send_project, "--force", env=env)
    assert refused.exit_code == 1
    assert "not sendable: 1 lint error, first img-not-https" in refused.stderr
    assert "send with --force" in refused.stderr
    assert forced.exit_code == 0, forced.output
    assert sum(server.copies.values()) == 3


def test_a_send_that_leaves_copies_uncertain_exits_5_as_a_run_does(run, send_project: Path):
    """A copy the server may or may not have (no reply after the message's dot) is not resent
    without --resend-uncertain, so the send is not done: exit 5, as `digest run --send` says it."""
    os.chdir(send_project.parent)
    for n in range(3):
        run("subscribers", "add", f"reader{n}@example.com")
    faults = Faults(vanish_after_data={"reader1@example.com"})
    with SmtpTestServer(faults) as server:
        env = server.environ(DIGEST_SECRET=TEST_SECRET)
        first = run("send", send_project, env=env)
        again = run("send", send_project, env=env)
        faults.vanish_after_data.clear()
        decided = run("send", send_project, "--resend-uncertain", env=env)
    assert first.exit_code == again.exit_code == 5, first.output
    assert re.search(r"uncertain +1: reader1@example.com", first.stdout), first.stdout
    assert re.search(r"uncertain +1: reader1@example.com", again.stdout)
    assert decided.exit_code == 0, decided.output
    assert server.copies["reader0@example.com"] == server.copies["reader2@example.com"] == 1

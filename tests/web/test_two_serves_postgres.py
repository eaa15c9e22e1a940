"""Issue 16: two `digest serve` processes against one PostgreSQL, as behind a load balancer. An
unsubscribe posted through one is shown by the other at once, and the next `digest send` (to a
real SMTP server) leaves that address out."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from click.testing import CliRunner

from digest.cli import main
from digest.deliver.tokens import make_token
from digest.store import add_subscriber, open_store
from tests.conftest import TEST_SECRET
from tests.smtp_server import SmtpTestServer, free_port
from tests.web.signup_site import serve_process
from tests.web.test_serve_base_path import PROJECT as NEWSLETTER

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def test_an_unsubscribe_through_one_serve_is_seen_by_the_other_and_by_the_next_send(
    postgres, sample_copy, tmp_path: Path
):
    url = postgres.new_database()
    issue = sample_copy("meridian")
    (tmp_path / "digest.toml").write_text(
        NEWSLETTER
        + f'\n[store]\nurl = "{url}"\n\n[smtp]\nsecurity = "none"\nretry_delay = 0.05\ntimeout = 10\n',
        encoding="utf-8",
    )
    store = open_store(url)
    readers = [add_subscriber(store, f"{name}@example.com", name.title())[0] for name in ("ana", "bo", "cy")]
    store.close()
    token = make_token(TEST_SECRET.encode(), readers[0].id, readers[0].email)

    first, first_base = serve_process(tmp_path, free_port())
    second, second_base = serve_process(tmp_path, free_port())
    try:
        with httpx.Client(timeout=10) as client:
            before = client.get(second_base + "unsubscribe", params={"token": token})
            assert "Unsubscribe from" in before.text and "You are unsubscribed" not in before.text
            done = client.post(first_base + "unsubscribe", params={"token": token}, data=ONE_CLICK)
            assert done.status_code == 200 and "You are unsubscribed" in done.text
            after = client.get(second_base + "unsubscribe", params={"token": token})
            assert "You are unsubscribed" in after.text and "ana@example.com" in after.text
    finally:
        for process in (first, second):
            process.terminate()
            process.wait(timeout=10)

    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        with SmtpTestServer() as smtp:
            env = smtp.environ(DIGEST_SECRET=TEST_SECRET)
            sent = CliRunner().invoke(main, ["send", str(issue)], env=env, catch_exceptions=False)
    finally:
        os.chdir(previous)
    assert sent.exit_code == 0, sent.output
    delivered = sorted(address for mail in smtp.received for address in mail.rcpt_tos)
    assert delivered == ["bo@example.com", "cy@example.com"]

"""Erasure meets the other ways onto the list (issue 14): another tool's export leaves an erased
address out, and only the person's own confirmed sign-up (over real HTTP, with aiosmtpd) brings
it back, dropping its hash; erasing an address still waiting for its confirmation erases that."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from digest.cli import main
from digest.model import SubscriberStatus
from digest.store import add_subscriber, find_subscriber
from tests.conftest import TEST_SECRET
from tests.web.signup_site import confirm_link, signup_site
from tests.web.test_signup_http import _button_form_token

SUBSTACK = Path(__file__).parent.parent / "fixtures" / "imports" / "substack" / "email_list.meridian.csv"
ENV = {"DIGEST_SECRET": TEST_SECRET}


def digest(db: Path, *args: str):
    return CliRunner().invoke(main, ["subscribers", "--db", str(db), *args], env=ENV)


def test_a_tool_import_leaves_an_erased_address_out(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "digest.db"
    assert digest(db, "add", "mia.santos@example.com").exit_code == 0
    assert digest(db, "erase", "mia.santos@example.com").exit_code == 0
    export = tmp_path / "email_list.csv"
    shutil.copy(SUBSTACK, export)
    imported = digest(db, "import", str(export), "--from", "substack")
    assert imported.exit_code == 0, imported.output
    assert "1 erased address left out" in imported.stdout
    assert digest(db, "show", "mia.santos@example.com").exit_code == 1
    assert digest(db, "show", "ned.kowalski@example.org").exit_code == 0


def test_only_a_confirmed_sign_up_brings_an_erased_address_back(tmp_path: Path):
    with signup_site(tmp_path, min_fill_seconds=0) as site:
        add_subscriber(site.store, "back@example.com", "Old Name")
        db = site.store.path
        assert digest(db, "erase", "back@example.com").exit_code == 0
        assert digest(db, "add", "back@example.com").exit_code == 2  # erased: not by an operator
        site.sign_up("back@example.com", "New Name")
        link = confirm_link(site.mail_to("back@example.com")[0])
        page = site.client.get(link)
        assert find_subscriber(site.store, "back@example.com") is None  # still pending
        site.client.post(link, data={"form_token": _button_form_token(page.text)})
        back = find_subscriber(site.store, "back@example.com")
        assert back is not None and back.status is SubscriberStatus.ACTIVE and back.name == "New Name"
        assert site.store.fetchvalue("SELECT COUNT(*) FROM erased_addresses") == 0  # the hash dropped


def test_erasing_a_pending_sign_up_erases_it_and_its_queued_email(tmp_path: Path):
    with signup_site(tmp_path, min_fill_seconds=0) as site:
        site.sign_up("waiting@example.com", "Wai Ting")
        assert site.mail_to("waiting@example.com")
        db = site.store.path
        erased = digest(db, "erase", "WAITING@example.com")
        assert erased.exit_code == 0, erased.output
        for table in ("pending_signups", "signup_outbox"):
            assert site.store.fetchvalue(f"SELECT COUNT(*) FROM {table}") == 0, table
        assert site.store.fetchvalue("SELECT COUNT(*) FROM erased_addresses") == 1

"""`digest subscribers import FILE [--from TOOL] [--dry-run]`, through the CLI, with exports shaped
as each tool documents them (tests/fixtures/imports/, SOURCES.md there): statuses kept, nothing
re-activated, consent records with the tool's times and IPs, the tool told from the header."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from digest.cli import main
from digest.model import SubscriberStatus
from digest.store import (
    ConsentKind,
    ConsentMethod,
    Reason,
    consent_history,
    find_subscriber,
    open_store,
    suppression_of,
)
from tests.importers.big import import_in_child, write_mailchimp

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
MAILCHIMP = sorted((FIXTURES / "mailchimp").glob("*.csv"))
GHOST = FIXTURES / "ghost" / "member-export-2025-03-01.csv"
SUBSTACK = FIXTURES / "substack" / "email_list.meridian.csv"
LISTMONK = FIXTURES / "listmonk" / "subscribers.csv"


def digest(db: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(main, ["subscribers", "--db", str(db), *map(str, args)], catch_exceptions=False)


def mailchimp_zip(folder: Path) -> Path:
    """The audience export as Mailchimp sends it: one zip, a CSV per status."""
    path = folder / "members_export_9f3c2a1b7e.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for csv_file in MAILCHIMP:
            archive.write(csv_file, csv_file.name)
    return path


def status(db: Path, email: str) -> SubscriberStatus:
    with closing(open_store(db)) as store:
        found = find_subscriber(store, email)
        assert found is not None, email
        return found.status


def test_a_mailchimp_zip_keeps_each_status_its_times_and_consent(tmp_path: Path):
    db = tmp_path / "digest.db"
    assert digest(db, "add", "dee.moreau@example.com").exit_code == 0
    assert digest(db, "remove", "dee.moreau@example.com").exit_code == 0  # unsubscribed here
    result = digest(db, "import", mailchimp_zip(tmp_path))
    assert result.exit_code == 0, result.output
    assert "8 row(s): 7 added, 1 updated, 0 duplicate(s) merged, 0 skipped" in result.stdout
    assert "by status: active 3, unsubscribed 3, bounced 2" in result.stdout
    assert status(db, "dee.moreau@example.com") is SubscriberStatus.UNSUBSCRIBED  # never re-activated
    with closing(open_store(db)) as store:
        eli = suppression_of(store, "eli.haddad@example.com")
        assert eli is not None and eli.reason is Reason.UNSUBSCRIBE
        assert eli.at.startswith("2024-06-06T12:56:15") and "no longer want" in eli.status_line
        gus = suppression_of(store, "gus.berg@example.com")
        assert gus is not None and gus.reason is Reason.IMPORTED_CLEANED
        assert gus.at.startswith("2024-03-23T17:30:05") and "Weekly 2024-W12" in gus.status_line
        assert find_subscriber(store, "gus.berg@example.com").status is SubscriberStatus.BOUNCED
        ana = find_subscriber(store, "ana.lima@example.com")
        assert (ana.name, ana.first_name, ana.status) == ("Ana Lima", "Ana", SubscriberStatus.ACTIVE)
        assert ana.attributes["address"] == "Rua das Flores 12 Lisboa 1200-195"  # a quoted newline
        assert ana.attributes["tags"] == "Editors, 2024 fair"
        assert "leid" not in ana.attributes and "latitude" not in ana.attributes  # Mailchimp's own
        history = consent_history(store, ana.id)
        source = "import: mailchimp members_export_9f3c2a1b7e.zip"
        assert [(e.kind, e.method, e.at, e.ip, e.source) for e in history] == [
            (ConsentKind.GIVEN, ConsentMethod.IMPORT, "2023-04-21T11:16:57+00:00", "198.51.100.7", source),
            (
                ConsentKind.CONFIRMED,
                ConsentMethod.IMPORT,
                "2023-04-21T11:18:02+00:00",
                "198.51.100.7",
                source,
            ),
        ]
        bo = find_subscriber(store, "bo.chen@example.org")  # single opt-in: CONFIRM_TIME is OPTIN_TIME
        assert [e.kind for e in consent_history(store, bo.id)] == [ConsentKind.GIVEN]
        eli_id = find_subscriber(store, "eli.haddad@example.com").id
        assert [(e.kind, e.at) for e in consent_history(store, eli_id)][-1] == (
            ConsentKind.WITHDRAWN,
            "2024-06-06T12:56:15+00:00",
        )


def test_importing_the_same_export_again_changes_nothing_and_records_nothing_twice(tmp_path: Path):
    db, export = tmp_path / "digest.db", mailchimp_zip(tmp_path)
    first = digest(db, "import", export)
    assert "13 consent records" in first.stdout
    again = digest(db, "import", export)
    assert "8 row(s): 0 added, 8 updated" in again.stdout and "0 consent records" in again.stdout


def test_each_mailchimp_csv_alone_is_read_by_its_status(tmp_path: Path):
    db = tmp_path / "digest.db"
    cleaned = next(p for p in MAILCHIMP if p.name.startswith("cleaned"))
    result = digest(db, "import", cleaned)
    assert result.exit_code == 0 and "by status: active 0, unsubscribed 0, bounced 2" in result.stdout
    subscribed = next(p for p in MAILCHIMP if p.name.startswith("subscribed"))
    digest(db, "import", subscribed)
    assert status(db, "gus.berg@example.com") is SubscriberStatus.BOUNCED
    assert status(db, "ana.lima@example.com") is SubscriberStatus.ACTIVE


def test_a_mailchimp_file_is_told_by_its_name_when_its_status_columns_are_missing(tmp_path: Path):
    cleaned = next(p for p in MAILCHIMP if p.name.startswith("cleaned"))
    lines = cleaned.read_text(encoding="utf-8").splitlines()
    without = [",".join(line.split(",")[:18]) for line in lines]  # up to REGION: no CLEAN_* columns
    export = tmp_path / "cleaned_email_audience_export_0a1b2c.csv"
    export.write_text("\n".join(without) + "\n", encoding="utf-8")
    assert digest(tmp_path / "digest.db", "import", export).exit_code == 0
    assert status(tmp_path / "digest.db", "gus.berg@example.com") is SubscriberStatus.BOUNCED


def test_mailchimps_export_of_contacts_who_never_subscribed_is_not_imported(tmp_path: Path):
    subscribed = next(p for p in MAILCHIMP if p.name.startswith("subscribed"))
    alone = tmp_path / "nonsubscribed_email_audience_export_0a1b2c.csv"
    alone.write_bytes(subscribed.read_bytes())
    result = digest(tmp_path / "digest.db", "import", alone)
    assert result.exit_code == 2 and "only contacts who never subscribed" in result.stderr
    export = tmp_path / "audience.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.write(alone, alone.name)
        archive.write(MAILCHIMP[0], MAILCHIMP[0].name)  # the cleaned
    result = digest(tmp_path / "digest.db", "import", export)
    assert result.exit_code == 0 and "2 row(s): 2 added" in result.stdout
    assert f"{alone.name}: skipped, not a list of subscribers" in result.stderr


def test_a_ghost_member_whose_email_ghost_disabled_is_suppressed(tmp_path: Path):
    header, *rows = GHOST.read_text(encoding="utf-8").splitlines()
    export = tmp_path / "members.csv"
    export.write_text("\n".join([header + ",email_disabled", rows[0] + ",true", rows[3] + ",false"]) + "\n")
    assert digest(tmp_path / "digest.db", "import", export).exit_code == 0
    with closing(open_store(tmp_path / "digest.db")) as store:
        assert suppression_of(store, "ines.duarte@example.com").reason is Reason.IMPORTED_CLEANED
        assert find_subscriber(store, "lea.roth@example.com").status is SubscriberStatus.ACTIVE


def test_an_address_active_here_and_unsubscribed_there_is_suppressed(tmp_path: Path):
    db = tmp_path / "digest.db"
    digest(db, "add", "eli.haddad@example.com")
    unsubscribed = next(p for p in MAILCHIMP if p.name.startswith("unsubscribed"))
    result = digest(db, "import", unsubscribed)
    assert "1 address active here suppressed now" in result.stdout
    assert status(db, "eli.haddad@example.com") is SubscriberStatus.UNSUBSCRIBED


@pytest.mark.parametrize(
    ("export", "tool", "statuses"),
    [
        (GHOST, "ghost", "active 3, unsubscribed 1, bounced 0"),
        (SUBSTACK, "substack", "active 2, unsubscribed 1, bounced 0"),
        (LISTMONK, "listmonk", "active 2, unsubscribed 2, bounced 0"),
        (MAILCHIMP[1], "mailchimp", "active 4, unsubscribed 0, bounced 0"),
    ],
)
def test_the_tool_is_told_from_the_header_and_a_dry_run_changes_nothing(
    tmp_path: Path, export: Path, tool: str, statuses: str
):
    db = tmp_path / "digest.db"
    dry = digest(db, "import", export, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith(f"dry run ({tool}): nothing changed")
    assert f"by status: {statuses}" in dry.stdout
    assert digest(db, "count", "--by-status").stdout == "active\t0\nunsubscribed\t0\nbounced\t0\n"
    with closing(open_store(db)) as store:
        assert store.fetchvalue("SELECT COUNT(*) FROM consent_events") == 0
    real = digest(db, "import", export, "--from", tool)
    assert real.stdout.splitlines()[:2] == dry.stdout.splitlines()[1:3]  # what it said it would do


def test_ghost_substack_and_listmonk_statuses_and_attributes(tmp_path: Path):
    db = tmp_path / "digest.db"
    for export in (GHOST, SUBSTACK, LISTMONK):
        assert digest(db, "import", export).exit_code == 0
    assert status(db, "jon.park@example.org") is SubscriberStatus.UNSUBSCRIBED  # subscribed_to_emails false
    assert status(db, "oli.fischer@example.net") is SubscriberStatus.UNSUBSCRIBED  # email_disabled
    assert status(db, "quinn.ryan@example.org") is SubscriberStatus.UNSUBSCRIBED  # blocklisted
    assert status(db, "sam.obi@example.com") is SubscriberStatus.UNSUBSCRIBED  # disabled
    with closing(open_store(db)) as store:
        ines = find_subscriber(store, "ines.duarte@example.com")
        assert (
            ines.attributes["labels"] == "Book fair, Lisbon"
            and ines.attributes["complimentary_plan"] == "false"
        )
        assert "id" not in ines.attributes
        assert find_subscriber(store, "kai.mensah@example.net").name == "=Kai Mensah"  # Ghost's guard off
        assert find_subscriber(store, "mia.santos@example.com").attributes["plan"] == "yearly"
        pia = find_subscriber(store, "pia.nowak@example.com")
        assert pia.attributes == {"city": "Kraków", "projects": "3"}
        raf = find_subscriber(store, "raf.souza@example.net")
        assert raf.attributes == {"stack": '{"languages": ["go", "python"]}'}
        assert consent_history(store, raf.id)[0].at == "2024-10-05T06:30:45+00:00"  # Go's time, +0100
        assert suppression_of(store, "quinn.ryan@example.org").status_line == "listmonk: blocklisted"


def test_a_byte_order_mark_and_crlf_lines_are_read(tmp_path: Path):
    export = tmp_path / "members.csv"
    export.write_bytes(codecs.BOM_UTF8 + GHOST.read_bytes())
    result = digest(tmp_path / "digest.db", "import", export)
    assert result.exit_code == 0 and result.stdout.startswith("4 row(s): 4 added")
    assert status(tmp_path / "digest.db", "jon.park@example.org") is SubscriberStatus.UNSUBSCRIBED


def test_a_sheet_saved_again_as_utf16_tab_separated_text_is_read(tmp_path: Path):
    rows = list(csv.reader(io.StringIO(GHOST.read_text(encoding="utf-8"), newline="")))
    text = io.StringIO()
    csv.writer(text, delimiter="\t", lineterminator="\r\n").writerows(rows)
    export = tmp_path / "members.txt"
    export.write_bytes(text.getvalue().encode("utf-16"))  # with its byte order mark, as Excel writes it
    result = digest(tmp_path / "digest.db", "import", export)
    assert result.exit_code == 0 and "by status: active 3, unsubscribed 1, bounced 0" in result.stdout


def test_bad_rows_of_a_tool_are_reported_by_line_and_skipped(tmp_path: Path):
    export = tmp_path / "subscribers.csv"
    header, *rows = LISTMONK.read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].replace("blocklisted", "archived")
    rows[2] = rows[2].replace('"{""stack""', '"{stack""')
    export.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = digest(tmp_path / "digest.db", "import", export)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{export}: line 3: status 'archived' is none of enabled, disabled, blocklisted",
        f"{export}: line 4: attributes is not JSON (Expecting property name enclosed in double quotes at "
        "character 1)",
    ]
    assert "4 row(s): 2 added" in result.stdout


def test_an_unknown_header_is_one_line_naming_the_columns_expected(tmp_path: Path):
    export = tmp_path / "people.csv"
    export.write_text("E-mail address,Full name\nana@example.com,Ana\n", encoding="utf-8")
    result = digest(tmp_path / "digest.db", "import", export)
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    line = result.stderr
    assert (
        "cannot tell which tool this export comes from" in line and "['E-mail address', 'Full name']" in line
    )
    for expected in (
        "mailchimp: Email Address with OPTIN_TIME",
        "ghost: email, subscribed_to_emails",
        "--from",
    ):
        assert expected in line
    wrong = digest(tmp_path / "digest.db", "import", GHOST, "--from", "listmonk")
    assert wrong.exit_code == 2 and len(wrong.stderr.splitlines()) == 1
    assert "not a listmonk export" in wrong.stderr and "uuid, email, name, attributes, status" in wrong.stderr


def test_a_substack_data_export_zip_skips_the_posts(tmp_path: Path):
    export = tmp_path / "meridian-export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.write(SUBSTACK, SUBSTACK.name)
        archive.writestr(
            "posts.csv",
            "post_id,post_date,is_published,type,audience,title\n1,2025-01-01,true,newsletter,everyone,Hi\n",
        )
    result = digest(tmp_path / "digest.db", "import", export)
    assert result.exit_code == 0 and "3 row(s): 3 added" in result.stdout
    assert f"{export}: posts.csv: skipped, not a list of subscribers" in result.stderr


def test_digests_own_csv_records_consent_at_the_import_for_the_rows_that_may_be_sent_to(tmp_path: Path):
    export = tmp_path / "list.csv"
    export.write_text("email,name,status\numa@example.com,Uma,active\nvic@example.com,Vic,unsubscribed\n")
    result = digest(tmp_path / "digest.db", "import", export)
    assert result.exit_code == 0 and "1 consent record" in result.stdout
    with closing(open_store(tmp_path / "digest.db")) as store:
        [given] = consent_history(store, find_subscriber(store, "uma@example.com").id)
        assert (given.kind, given.method, given.source) == (
            ConsentKind.GIVEN,
            ConsentMethod.IMPORT,
            "import: csv list.csv",
        )
        assert consent_history(store, find_subscriber(store, "vic@example.com").id) == []


def test_subscribers_add_records_the_consent_it_was_given(tmp_path: Path):
    db = tmp_path / "digest.db"
    assert digest(db, "add", "tess@example.com").exit_code == 0
    with closing(open_store(db)) as store:
        [event] = consent_history(store, find_subscriber(store, "tess@example.com").id)
    assert (event.kind, event.method, event.source) == (
        ConsentKind.GIVEN,
        ConsentMethod.CLI,
        "cli: digest subscribers add",
    )


def test_a_long_export_is_read_in_flat_memory(tmp_path: Path):
    """Ten times the rows, about the same peak memory: rows stream from the file to the database."""
    peaks = {}
    for rows in (2_000, 20_000):
        export = write_mailchimp(tmp_path / f"{rows}.csv", rows)
        _, peaks[rows], printed = import_in_child(tmp_path / f"{rows}.db", export, "mailchimp")
        assert printed.split()[1:] == [str(rows), str(2 * rows)]
    assert peaks[20_000] < peaks[2_000] + 8 * 1024, peaks  # KiB: a 3.6 MB file read, not kept

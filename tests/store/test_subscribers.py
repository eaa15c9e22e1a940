"""The subscriber list: CSV import with line-numbered problems, statuses, export round trip."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from digest.model import SubscriberStatus
from digest.store import MIGRATIONS, erase_subscriber, open_store
from digest.store.subscribers import (
    AddOutcome,
    SubscriberError,
    add_subscriber,
    count_by_status,
    export_csv,
    find_subscriber,
    import_csv,
    iter_subscribers,
    remove_subscriber,
    set_status,
)

SIGNUPS = """\
email,name,city,plan
ana.lopez@example.com,Ana López,Lisbon,free
bo@example.org,,Oslo,
not an address,Nobody,,
ANA.LOPEZ@example.com,,Porto,paid
chidi@Example.NET,Chidi Okafor,,
dana@example,Dana,,
"eve@example.com","Eve ""E"" Adams
(second line)",Leeds,paid
añá@example.com,Ana Á,,
,,,
frank@example.com,Frank,,,extra
"""


@pytest.fixture
def store(store_at):
    store = open_store(store_at("digest.db"))
    yield store
    store.close()


def write(tmp_path: Path, text: str, name: str = "list.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_import_reports_bad_rows_by_line_and_keeps_the_good_ones(store, tmp_path: Path):
    report = import_csv(store, write(tmp_path, SIGNUPS))
    problems = {p.line: p.reason for p in report.problems}
    assert sorted(problems) == [4, 7, 10, 12]
    assert "@-sign" in problems[4] and "'not an address'" in problems[4]
    assert "period" in problems[7]
    assert "SMTPUTF8" in problems[10]
    assert "5 fields" in problems[12]
    assert (report.added, report.updated, report.merged) == (4, 0, 1)
    ana = find_subscriber(store, "Ana.Lopez@EXAMPLE.com")
    assert ana.email == "ana.lopez@example.com"
    assert ana.name == "Ana López"
    assert ana.attributes == {"city": "Porto", "plan": "paid"}  # later non-empty values win
    assert find_subscriber(store, "chidi@example.net").email == "chidi@example.net"  # domain lower-cased
    assert find_subscriber(store, "eve@example.com").name == 'Eve "E" Adams (second line)'


def test_reimport_never_reactivates_an_unsubscribed_address(store, tmp_path: Path):
    import_csv(store, write(tmp_path, SIGNUPS))
    remove_subscriber(store, "bo@example.org")
    set_status(
        store, find_subscriber(store, "chidi@example.net").id, SubscriberStatus.BOUNCED, reason="5.1.1"
    )
    report = import_csv(store, write(tmp_path, "email,name\nBO@example.org,Bo Again\nchidi@example.net,C\n"))
    assert report.not_active == 2 and report.updated == 2 and report.added == 0
    bo = find_subscriber(store, "bo@example.org")
    assert bo.status is SubscriberStatus.UNSUBSCRIBED and bo.name == "Bo Again"
    assert find_subscriber(store, "chidi@example.net").status is SubscriberStatus.BOUNCED
    _, outcome = add_subscriber(store, "bo@example.org")
    assert outcome is AddOutcome.NOT_ACTIVE
    _, outcome = add_subscriber(store, "bo@example.org", resubscribe=True)
    assert outcome is AddOutcome.RESUBSCRIBED
    assert find_subscriber(store, "bo@example.org").status is SubscriberStatus.ACTIVE


def test_a_fatal_problem_imports_nothing(store, tmp_path: Path):
    add_subscriber(store, "already@example.com")
    with pytest.raises(SubscriberError, match="no 'email' column"):
        import_csv(store, write(tmp_path, "mail,name\na@example.com,A\n"))
    with pytest.raises(SubscriberError, match="not UTF-8"):
        import_csv(store, write(tmp_path, "email,name\nzoë@example.com,Zoë\n", encoding="latin-1"))
    with pytest.raises(SubscriberError, match="file not found"):
        import_csv(store, tmp_path / "missing.csv")
    with pytest.raises(SubscriberError, match="empty"):
        import_csv(store, write(tmp_path, ""))
    assert [s.email for s in iter_subscribers(store)] == ["already@example.com"]


def test_the_import_is_one_transaction(store, tmp_path: Path, monkeypatch):
    """A database error half-way through (three chunks written) leaves no row of the file behind."""
    import digest.store.imports as imports

    monkeypatch.setattr(imports, "CHUNK", 10)
    if store.dialect == "sqlite":  # (no ALTER TABLE … ADD CONSTRAINT in SQLite)
        store.execute(
            "CREATE TRIGGER refused_by_the_test BEFORE INSERT ON subscribers"
            " WHEN NEW.email_key = 'user35@example.com' BEGIN SELECT RAISE(ABORT, 'refused_by_the_test'); END"
        )
    else:
        store.execute(
            "ALTER TABLE subscribers ADD CONSTRAINT refused_by_the_test"
            " CHECK (email_key != 'user35@example.com')"
        )
    rows = "\n".join(f"user{n}@example.com,User {n}" for n in range(50))
    with pytest.raises(Exception, match="refused_by_the_test"):
        import_csv(store, write(tmp_path, f"email,name\n{rows}\n"))
    assert count_by_status(store)[SubscriberStatus.ACTIVE] == 0


def test_export_reads_back_with_import(store, store_at, tmp_path: Path):
    import_csv(store, write(tmp_path, SIGNUPS))
    remove_subscriber(store, "bo@example.org")
    out = io.StringIO()
    assert export_csv(store, out) == 4
    exported = out.getvalue()
    assert exported.splitlines()[0] == (
        "email,name,status,status_changed_at,suppression_reason,suppression_evidence,city,plan"
    )
    other = open_store(store_at("copy.db"))
    report = import_csv(other, write(tmp_path, exported, "exported.csv"))
    assert report.problems == () and report.added == 4
    original = {(s.email, s.name, tuple(sorted(s.attributes.items()))) for s in iter_subscribers(store)}
    copied = {(s.email, s.name, tuple(sorted(s.attributes.items()))) for s in iter_subscribers(other)}
    assert original == copied
    other.close()


def test_counts_and_listing_by_status(store):
    for n in range(7):
        add_subscriber(store, f"p{n}@example.com")
    remove_subscriber(store, "p1@example.com")
    erase_subscriber(store, "p2@example.com", b"erasure salt")
    counts = count_by_status(store)
    assert counts == {
        SubscriberStatus.ACTIVE: 5,
        SubscriberStatus.UNSUBSCRIBED: 1,
        SubscriberStatus.BOUNCED: 0,
    }
    listed = [s.email for s in iter_subscribers(store, SubscriberStatus.ACTIVE, page_size=2)]
    assert listed == [
        "p0@example.com",
        "p3@example.com",
        "p4@example.com",
        "p5@example.com",
        "p6@example.com",
    ]
    assert find_subscriber(store, "p2@example.com") is None


def test_add_rejects_a_bad_address_with_the_reason(store):
    with pytest.raises(SubscriberError, match="@-sign"):
        add_subscriber(store, "nobody.example.com")


@pytest.mark.parametrize(
    "header",
    ["email,name,Email", "name,email,e-mail,EMAIL ", "email,name,city,City"],
)
def test_a_column_named_twice_in_the_header_is_an_error_naming_the_line(store, tmp_path: Path, header: str):
    """Was: the second `email` column silently dropped (which one holds the address is a guess)."""
    path = write(tmp_path, f"{header}\nana@example.com,Ana,x,y\n")
    with pytest.raises(SubscriberError, match=r"line 1: the header line names '\w+' more than once"):
        import_csv(store, path)
    assert count_by_status(store)[SubscriberStatus.ACTIVE] == 0


def test_addresses_over_rfc_5321s_limits_are_refused_with_their_line(store, tmp_path: Path):
    local_64, local_65 = "a" * 64, "b" * 65
    domain = ".".join(["d" * 60] * 3) + ".example"  # 190 characters
    assert len(domain) == 190
    rows = [
        f"{local_64}@example.com",  # the longest local part allowed
        f"{local_65}@example.com",
        f"{'c' * 63}@{domain}",  # 254 in all: allowed
        f"{'e' * 64}@{domain}",  # 255
    ]
    report = import_csv(store, write(tmp_path, "email\n" + "\n".join(rows) + "\n"))
    problems = {p.line: p.reason for p in report.problems}
    assert sorted(problems) == [3, 5]
    assert "the part before the @ is 65 characters long, over RFC 5321's 64" in problems[3]
    assert "The email address is too long (1 character too many)" in problems[5]  # email-validator's words
    assert report.added == 2
    with pytest.raises(SubscriberError, match="over RFC 5321's 64"):
        add_subscriber(store, f"{local_65}@example.com")


def test_a_folder_given_as_the_csv_is_one_error(store, tmp_path: Path):
    with pytest.raises(SubscriberError, match="this is a folder, not a CSV file"):
        import_csv(store, tmp_path)


def test_a_first_name_attribute_of_an_older_database_becomes_the_column(tmp_path: Path):
    """Before migration 3 a CSV's first_name column was kept as an attribute (issue 12: 15)."""
    path = tmp_path / "digest.db"
    old = open_store(path, migrations=MIGRATIONS[:2])
    old.execute(
        "INSERT INTO subscribers (email, email_key, name, attributes, created_at, status_changed_at) "
        "VALUES ('h@example.com', 'h@example.com', 'Hiroshi Costa', ?, '2025-01-01', '2025-01-01')",
        ('{"first_name": "Hiro", "team": "x"}',),
    )
    old.close()
    store = open_store(path)
    subscriber = find_subscriber(store, "h@example.com")
    store.close()
    assert subscriber is not None
    assert (subscriber.first_name, subscriber.attributes) == ("Hiro", {"team": "x"})

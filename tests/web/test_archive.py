"""`digest archive`: index newest first, a page per issue without personal links, an Atom feed.

The issues here are recorded sent the way a send records them (the copy kept, the history says
sent); tests/web/test_archive_sent.py sends for real.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from click.testing import CliRunner
from lxml import etree
from lxml import html as lxml_html

from digest.cli import main
from digest.errors import ConfigError, DigestError
from digest.pipeline import render_folder
from digest.render import RecipientLinks
from digest.web.archive import build_archive
from tests.conftest import SAMPLE_WEEKS
from tests.web.sent import STORE_TOML, went_out

ATOM = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "digest.toml").write_text(STORE_TOML)
    shutil.copytree(SAMPLE_WEEKS["meridian"], root / SAMPLE_WEEKS["meridian"].name)
    shutil.copytree(SAMPLE_WEEKS["tidewater"].parent, root / "tidewater")
    went_out(root / SAMPLE_WEEKS["meridian"].name)
    went_out(root / "tidewater" / SAMPLE_WEEKS["tidewater"].name)
    return root


def meridian_week(root: Path, date: str) -> Path:
    """The sample week copied to another date."""
    folder = root / date
    shutil.copytree(SAMPLE_WEEKS["meridian"], folder)
    toml = folder / "issue.toml"
    toml.write_text(toml.read_text().replace("date = 2025-01-08", f"date = {date}"))
    return folder


@pytest.fixture
def meridian_weeks(tmp_path: Path) -> Path:
    """One newsletter, three weekly issues that went out (copies of the sample week on other dates)."""
    root = tmp_path / "meridian"
    root.mkdir()
    (root / "digest.toml").write_text(STORE_TOML)
    for date in ("2025-01-08", "2025-01-22", "2025-01-15"):
        went_out(meridian_week(root, date))
    return root


def links(page: Path) -> list[str]:
    return lxml_html.document_fromstring(page.read_text(encoding="utf-8")).xpath("//a/@href | //link/@href")


def local_links(page: Path) -> list[str]:
    return [href for href in links(page) if not urlsplit(href).scheme]


def test_index_lists_issues_newest_first_with_relative_links(meridian_weeks: Path, tmp_path: Path):
    out = tmp_path / "site"
    result = build_archive(meridian_weeks, out)
    assert [e.issue.date.isoformat() for e in result.entries] == ["2025-01-22", "2025-01-15", "2025-01-08"]
    index = lxml_html.document_fromstring((out / "index.html").read_text())
    assert index.findtext(".//title") == "Meridian Daily: past issues"
    hrefs = index.xpath("//ol[@class='issues']//a/@href")
    assert hrefs == ["issues/2025-W04/index.html", "issues/2025-W03/index.html", "issues/2025-W02/index.html"]
    for href in local_links(out / "index.html"):
        assert (out / href).is_file(), href


def test_each_issue_page_is_the_email_without_personal_links(project: Path, tmp_path: Path):
    out = tmp_path / "site"
    build_archive(project, out)
    for week, issue_id in (("meridian", "2025-W02"), ("tidewater", "2025-W11")):
        rendered, _ = render_folder(SAMPLE_WEEKS[week])
        personal = RecipientLinks.for_archive(rendered.issue)
        page = out / "issues" / issue_id / "index.html"
        html = page.read_text(encoding="utf-8")
        assert html.startswith("<!doctype html>")
        assert personal.unsubscribe not in html and personal.view_online not in html
        text = lxml_html.document_fromstring(html).text_content()
        assert "Unsubscribe" not in text and "in your browser" not in text and "online" not in text.lower()
        # Everything else of the email is there: the lead, every item, the postal address.
        for story in rendered.issue.stories:
            assert story.url in html
        assert rendered.issue.newsletter.postal_address in text
        for href in local_links(page):
            assert (page.parent / href).resolve().is_file(), href


def test_the_feed_is_atom_with_one_entry_per_issue(meridian_weeks: Path, tmp_path: Path):
    out = tmp_path / "site"
    build_archive(meridian_weeks, out)
    feed = etree.parse(str(out / "feed.xml")).getroot()
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.findtext("a:id", namespaces=ATOM) == "https://newsletters.meridian-media.example/daily/"
    assert feed.findtext("a:updated", namespaces=ATOM) == "2025-01-22T08:00:00-05:00"
    entries = feed.findall("a:entry", namespaces=ATOM)
    assert [e.findtext("a:updated", namespaces=ATOM)[:10] for e in entries] == [
        "2025-01-22",
        "2025-01-15",
        "2025-01-08",
    ]
    for entry in entries:
        entry_id = entry.findtext("a:id", namespaces=ATOM)
        assert entry_id.startswith("https://newsletters.meridian-media.example/daily/issues/2025-W0")
        href = entry.find("a:link", namespaces=ATOM).get("href")
        assert not urlsplit(href).scheme, "links are relative to the feed"
        assert (out / href).is_file()
        assert entry.findtext("a:title", namespaces=ATOM) == "The Kremlin goes recruiting next door"
        assert entry.findtext("a:summary", namespaces=ATOM).startswith("Moscow is looking next door")
    self_link = feed.xpath("a:link[@rel='self']/@href", namespaces=ATOM)
    assert self_link == ["feed.xml"]


def test_the_same_issues_give_the_same_bytes(meridian_weeks: Path, tmp_path: Path):
    first, second = tmp_path / "one", tmp_path / "two"
    build_archive(meridian_weeks, first)
    build_archive(meridian_weeks, second)
    for path in first.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (second / path.relative_to(first)).read_bytes(), path


def test_issues_of_several_newsletters_are_named_in_the_index(project: Path, tmp_path: Path):
    build_archive(project, tmp_path / "site")
    index = lxml_html.document_fromstring((tmp_path / "site" / "index.html").read_text())
    assert index.findtext(".//h1") == "Past issues"
    names = [n.strip("· ").strip() for n in index.xpath("//span[@class='newsletter']/text()")]
    assert names == ["The Tidewater Weekly", "Meridian Daily"]


def test_two_issues_in_one_week_cannot_share_an_address(meridian_weeks: Path, tmp_path: Path):
    other = meridian_weeks / "other"  # a second project below, with its own store and archive
    other.mkdir()
    (other / "digest.toml").write_text(STORE_TOML)
    went_out(meridian_week(other, "2025-01-09"))
    with pytest.raises(ConfigError, match="share the archive address issues/2025-W02/") as error:
        build_archive(meridian_weeks, tmp_path / "site")
    assert str(meridian_weeks / "built") in str(error.value) and str(other / "built") in str(error.value)


def test_a_broken_copy_stops_the_archive_naming_the_file(meridian_weeks: Path, tmp_path: Path):
    (meridian_weeks / "built" / "2025-W03" / "issue.json").write_text("{broken")
    with pytest.raises(DigestError) as error:
        build_archive(meridian_weeks, tmp_path / "site")
    assert "2025-W03/issue.json" in str(error.value)
    assert not (tmp_path / "site").exists(), "nothing is written from a broken project"


def test_a_draft_is_never_published_and_an_old_page_of_one_is_withdrawn(meridian_weeks: Path, tmp_path: Path):
    meridian_week(meridian_weeks, "2025-01-29")  # built, never sent
    stale = tmp_path / "site" / "issues" / "2025-W05" / "index.html"  # what an older digest published
    stale.parent.mkdir(parents=True)
    stale.write_text("<p>a draft</p>")
    result = build_archive(meridian_weeks, tmp_path / "site")
    assert [entry.issue.issue_id for entry in result.entries] == ["2025-W04", "2025-W03", "2025-W02"]
    assert result.withdrawn == ("2025-W05",) and not stale.parent.exists()


def test_an_empty_project_gives_an_empty_index_and_feed(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = build_archive(tmp_path / "empty", tmp_path / "site")
    assert result.entries == ()
    assert "No issues yet" in (tmp_path / "site" / "index.html").read_text()
    feed = etree.parse(str(tmp_path / "site" / "feed.xml")).getroot()
    assert feed.findall("a:entry", namespaces=ATOM) == []


def test_the_cli_writes_the_archive_and_reports_errors_in_one_line(meridian_weeks: Path, tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(main, ["archive", str(meridian_weeks), "--out", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "Archived 3 issue(s)" in result.output
    assert "issues/2025-W04/index.html" in result.output
    assert (tmp_path / "site" / "feed.xml").is_file()

    (meridian_weeks / "built" / "2025-W03" / "issue.json").write_text("{broken")
    result = runner.invoke(main, ["archive", str(meridian_weeks), "--out", str(tmp_path / "site")])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert "issue.json" in result.output

    (meridian_weeks / "built" / "2025-W03" / "issue.json").unlink()  # sent before copies were kept
    result = runner.invoke(main, ["archive", str(meridian_weeks), "--out", str(tmp_path / "site")])
    assert result.exit_code == 0
    assert "warning: 2025-W03 went out, but no copy of it is kept in" in result.output
    assert "Archived 2 issue(s)" in result.output


def test_relative_links_work_from_a_sub_folder(meridian_weeks: Path, tmp_path: Path):
    """Hosted under any path, every link between the archive's pages still lands on a file."""
    out = tmp_path / "site"
    build_archive(meridian_weeks, out)
    base = "https://example.org/some/where/deep/"
    for page in out.rglob("*.html"):
        page_url = urljoin(base, page.relative_to(out).as_posix())
        for href in local_links(page):
            target = urljoin(page_url, href)
            assert target.startswith(base), (page, href)
            assert (out / target.removeprefix(base)).is_file(), (page, href)

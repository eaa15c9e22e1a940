"""`digest report`: two Meridian weeks sent over SMTP (aiosmtpd) so the send log and the kept copies
are real, a bounce and a complaint read back by `digest feedback fetch`, clicks written with the
store's `record_clicks`; then the issue report and the sponsor report through the CLI."""

from __future__ import annotations

import json
import mailbox
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.store import open_store
from digest.store.clicks import OPEN_SLOT, Click, record_clicks
from tests.conftest import DELIVERY_TOML, TEST_SECRET
from tests.feedback.test_fetch import arf, dsn
from tests.smtp_server import SmtpTestServer

READERS = [f"reader{n}@example.com" for n in range(5)]
HOSTILE_TITLE = '<img src=x onerror="alert(1)"> Leave & "home"'


def invoke(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def second_week(first: Path) -> Path:
    """The Meridian week a week later (2025-W03) with new links, its Walmart story under a hostile title."""
    folder = first.with_name("meridian-2025-01-15")
    shutil.copytree(first, folder)
    toml = folder / "issue.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("2025-01-08", "2025-01-15"), encoding="utf-8")
    for story in (folder / "stories").glob("*.md"):
        text = story.read_text(encoding="utf-8")
        for day in range(5, 8):  # the stories' week moves with the issue
            text = text.replace(f"published: 2025-01-0{day}", f"published: 2025-01-{day + 7}")
        text = text.replace('url: "https://', 'url: "https://w03.')  # never twice: new stories
        title = HOSTILE_TITLE.replace('"', '\\"')
        story.write_text(
            text.replace("Six weeks at home with a newborn, on Walmart's paid leave", title), "utf-8"
        )
    return folder


@pytest.fixture
def sent(send_project: Path, tmp_path: Path):
    """2025-W02 and 2025-W03 sent to five readers; W02's last reader bounced, its fourth complained."""
    os.chdir(tmp_path)
    (tmp_path / "digest.toml").write_text(
        DELIVERY_TOML + '\n[feedback]\nreturn_path = "bounces@news.example.org"\nmbox = "back.mbox"\n',
        encoding="utf-8",
    )
    for address in READERS:
        assert invoke("subscribers", "add", address).exit_code == 0
    with SmtpTestServer() as smtp:
        env = smtp.environ(DIGEST_SECRET=TEST_SECRET)
        first = invoke("send", send_project, env=env)
        assert first.exit_code == 0, first.output
        copies = {copy.rcpt_tos[0]: copy for copy in smtp.received}
        box = mailbox.mbox(tmp_path / "back.mbox")
        box.add(dsn(copies[READERS[4]], "5.1.1", "550 5.1.1 user unknown"))
        box.add(arf(copies[READERS[3]]))
        box.close()
        fetched = invoke("feedback", "fetch", env=env)
        assert fetched.exit_code == 0, fetched.output
        second = invoke("send", second_week(send_project), env=env)
        assert second.exit_code == 0, second.output
    yield tmp_path


def clicks(tmp_path: Path) -> None:
    """W02: the lead clicked by two messages (one twice) and by a scanner; Walmart's sponsored
    block by one message and one HEAD request; the footer once; two opens. W03: Walmart once."""
    store = open_store(tmp_path / "subscribers.db")
    try:
        lead, walmart = "https://example.org/lead", "https://example.org/walmart"
        record_clicks(
            store,
            [
                Click("2025-W02", "lead", lead, clicker="m1"),
                Click("2025-W02", "lead", lead + "#image", clicker="m1"),
                Click("2025-W02", "lead", lead, clicker="m2"),
                Click("2025-W02", "lead", lead, human=False, reason="scanner", clicker="m3"),
                Click("2025-W02", "sponsored-2", walmart, clicker="m3"),
                Click("2025-W02", "sponsored-2", walmart, human=False, reason="head"),
                Click("2025-W02", "footer", "https://example.org/about", clicker="m1"),
                Click("2025-W02", OPEN_SLOT, "", human=False, reason="prefetch"),
                Click("2025-W02", OPEN_SLOT, "", clicker="m2"),
                Click("2025-W03", "sponsored-2", walmart, clicker="n1"),
            ],
        )
    finally:
        store.close()


def test_issue_report_before_and_after_clicks(sent: Path):
    before = invoke("report", "2025-W02")
    assert before.exit_code == 0, before.output
    assert "no clicks recorded for this issue: click tracking was off" in before.output
    assert "0 human" not in before.output and "opens" not in before.output
    untracked = json.loads(invoke("report", "2025-W02", "--json").output)
    assert untracked["clicks_recorded"] is False
    assert {row["human"] for row in untracked["slots"]} == {None}

    clicks(sent)
    text = invoke("report", "2025-W02").output
    assert "delivered     4  (80.00% of sent)" in text
    assert "complaints    1  (25.00% of delivered)" in text
    assert "  1. lead  The Kremlin goes recruiting next door (article)\n" in text
    assert "     3 human / 1 machine, 2 unique (50.00% of delivered)" in text
    assert "set aside     2 machine clicks (head 1, scanner 1)" in text
    assert "opens         2 (inflated by mail privacy features; not a measure of reading)" in text

    report = json.loads(invoke("report", "2025-W02", "--json").output)
    figures = report["figures"]
    assert (figures["sent"], figures["delivered"], figures["bounced"], figures["complaints"]) == (5, 4, 1, 1)
    assert figures["unsubscribes"] == 0 and figures["rates"]["complaints"] == 0.25
    assert report["clicks"] == {"human": 5, "machine": 2, "unique_clickers": 3}
    assert report["machine_reasons"] == {"head": 1, "scanner": 1}
    assert report["opens"] == {
        "count": 2,
        "caveat": "inflated by mail privacy features; not a measure of reading",
    }
    rows = [
        (r["position"], r["slot"], r["kind"], r["sponsor"], r["human"], r["machine"]) for r in report["slots"]
    ]
    assert rows == [
        (1, "lead", "article", "", 3, 1),
        (2, "more-1", "article", "", 0, 0),
        (3, "more-2", "article", "", 0, 0),
        (4, "sponsored-1", "sponsored", "Microsoft", 0, 0),
        (5, "more-4", "article", "", 0, 0),
        (6, "more-5", "video", "", 0, 0),
        (7, "sponsored-2", "sponsored", "Walmart", 1, 1),
        (8, "more-7", "article", "", 0, 0),
        (9, "footer", "", "", 1, 0),
    ]
    assert report["slots"][0]["unique_clickers"] == 2 and report["slots"][0]["click_rate"] == 0.5

    csv_lines = invoke("report", "2025-W02", "--csv").output.splitlines()
    assert csv_lines[0] == (
        "issue_id,sent,delivered,position,slot,title,kind,sponsor,clicks_human,clicks_machine,"
        "unique_clickers,click_rate"
    )
    assert csv_lines[1] == "2025-W02,5,4,1,lead,The Kremlin goes recruiting next door,article,,3,1,2,0.5000"
    assert csv_lines[7] == (
        '2025-W02,5,4,7,sponsored-2,"Six weeks at home with a newborn, on Walmart\'s paid leave",'
        "sponsored,Walmart,1,1,1,0.2500"
    )
    assert len(csv_lines) == 10


def test_unknown_issue_and_bad_arguments(sent: Path):
    unknown = invoke("report", "2025-W09")
    assert unknown.exit_code == 1
    assert unknown.stderr.strip().splitlines() == [
        "error: 2025-W09: no such issue went out (not in the send log or the run history)"
    ]
    for args in (("2025-W99",), (), ("2025-W02", "--sponsor", "x"), ("2025-W02", "--json", "--csv")):
        bad = invoke("report", *args)
        assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1, (args, bad.output)
    for args in (("--sponsor", " "), ("--sponsor", "Walmart", "--since", "2025-02-30")):
        bad = invoke("report", *args)
        assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1, (args, bad.output)
    nowhere = invoke("report", "--sponsor", "Walmart", "--html", sent / "digest.toml" / "page.html")
    assert nowhere.exit_code == 2
    assert nowhere.stderr.startswith("error: --html: cannot write ") and len(nowhere.stderr.splitlines()) == 1
    nobody = invoke("report", "--sponsor", "Acme")
    assert nobody.exit_code == 1
    assert "no sponsored placement of 'Acme' in the issues that went out" in nobody.stderr


def test_sponsor_report(sent: Path):
    clicks(sent)
    report = json.loads(invoke("report", "--sponsor", "walMART", "--json").output)
    assert report["sponsor"] == "Walmart"
    assert [(p["issue_id"], p["date"], p["position"], p["slot"]) for p in report["placements"]] == [
        ("2025-W02", "2025-01-08", 7, "sponsored-2"),
        ("2025-W03", "2025-01-15", 7, "sponsored-2"),
    ]
    assert [(p["delivered"], p["human"], p["unique_clickers"]) for p in report["placements"]] == [
        (4, 1, 1),
        (3, 1, 1),  # the bounced and the complaining reader were not sent W03
    ]
    assert report["placements"][1] == {
        "issue_id": "2025-W03",
        "date": "2025-01-15",
        "position": 7,
        "slot": "sponsored-2",
        "title": HOSTILE_TITLE,
        "delivered": 3,
        "human": 1,
        "machine": 0,
        "unique_clickers": 1,
        "click_rate": pytest.approx(1 / 3),
    }
    assert report["totals"] == {"clicks_human": 2, "unique_clickers": 2, "delivered": 7}
    assert report["since"] is None and report["not_searched"] == []
    text = invoke("report", "--sponsor", "Walmart").output.splitlines()
    assert text[0] == "Walmart: 2 placements"
    assert text[-1] == "total: 2 clicks, 2 unique clickers over 7 delivered"
    since = json.loads(invoke("report", "--sponsor", "Walmart", "--since", "2025-01-10", "--json").output)
    assert [p["issue_id"] for p in since["placements"]] == ["2025-W03"]
    csv_lines = invoke("report", "--sponsor", "walmart", "--csv").output.splitlines()
    assert csv_lines[0] == (
        "sponsor,issue_id,date,position,slot,title,delivered,clicks_human,clicks_machine,unique_clickers,click_rate"
    )
    assert csv_lines[2] == (
        'Walmart,2025-W03,2025-01-15,7,sponsored-2,"<img src=x onerror=""alert(1)""> Leave & ""home""",'
        "3,1,0,1,0.3333"
    )


def test_sponsor_page_in_chromium(sent: Path, browser):
    from tests.judges.test_browser import axe_violations

    clicks(sent)
    page_file = sent / "walmart.html"
    written = invoke("report", "--sponsor", "Walmart", "--html", page_file)
    assert written.exit_code == 0, written.output
    html = page_file.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html, "nothing to fetch: no font, image or stylesheet from elsewhere"
    page = browser.new_page(viewport={"width": 800, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.set_content(html, wait_until="load")
        assert requests == []
        assert page.locator("h1").inner_text() == "Walmart"
        # The hostile title is text in its cell, never an element.
        assert page.locator("td", has_text=HOSTILE_TITLE).count() == 1
        assert page.locator("img").count() == 0
        bars = page.eval_on_selector_all("svg.chart rect", "rs => rs.map(r => r.getBBox().width)")
        assert len(bars) == 2 and bars[0] == bars[1] > 0  # one click each
        for width in (800, 375):  # a phone: the chart scales, the table scrolls in its own box
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(sent / "walmart.png"), full_page=True)
        page.set_viewport_size({"width": 800, "height": 900})
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
    finally:
        page.close()


def test_an_issue_with_no_copy_kept(sent: Path):
    clicks(sent)
    shutil.rmtree(sent / "built" / "2025-W02")
    text = invoke("report", "2025-W02").output
    assert "no copy of this issue was kept: its slots are named, not its stories" in text
    assert "  1. lead  (no copy kept)\n" in text and "  3. footer  (no copy kept)\n" in text
    walmart = json.loads(invoke("report", "--sponsor", "Walmart", "--json").output)
    assert [p["issue_id"] for p in walmart["placements"]] == ["2025-W03"]
    assert walmart["not_searched"] == ["2025-W02"]

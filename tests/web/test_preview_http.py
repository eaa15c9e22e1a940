"""The preview app over real HTTP (uvicorn on 127.0.0.1): pages, personas, errors, guards, events."""

from __future__ import annotations

import threading
import time
import tomllib
from pathlib import Path

import httpx
import pytest
from lxml import html as lxml_html

from digest.pipeline import render_folder
from tests.conftest import DELIVERY_TOML, write_story
from tests.smtp_server import Faults, SmtpTestServer
from tests.web.servers import RunningServer

MERIDIAN_KEY = "meridian-2025-01-08"
TIDEWATER_KEY = "tidewater/2025-03-14"


def get(server: RunningServer, path: str, **kwargs) -> httpx.Response:
    return httpx.get(server.url.rstrip("/") + path, timeout=10, **kwargs)


def post(server: RunningServer, path: str, data: dict, **kwargs) -> httpx.Response:
    return httpx.post(server.url.rstrip("/") + path, data=data, timeout=10, **kwargs)


def doc(response: httpx.Response):
    return lxml_html.document_fromstring(response.text)


def test_list_shows_every_issue_newest_first_with_date_subject_and_count(preview):
    response = get(preview, "/")
    assert response.status_code == 200
    rows = doc(response).xpath("//tr[contains(@class, 'issue-row')]")
    assert [row.get("data-key") for row in rows] == [TIDEWATER_KEY, MERIDIAN_KEY]
    tidewater, meridian = (row.text_content() for row in rows)
    assert "2025-03-14" in tidewater and "Seagrass is back in Carrick Roads" in tidewater
    assert "2025-01-08" in meridian and "The Kremlin goes recruiting next door" in meridian
    counts = [row.xpath("string(td[contains(@class, 'num')])").strip() for row in rows]
    assert counts == ["6", "8"]
    assert all("lint clean" in row.text_content() for row in rows)


def test_lint_findings_show_on_the_issue_page_and_in_the_list(preview, meridian):
    toml = meridian / "issue.toml"
    long_subject = "An unusually long subject line that a phone's inbox row will certainly cut off"
    toml.write_text(toml.read_text().replace("[issue]", f'[issue]\nsubject = "{long_subject}"'))
    write_story(meridian / "stories", "plain-http", 'title: "Old link"\nurl: "http://old.example/story"')

    listing = doc(get(preview, "/"))
    status = listing.xpath(f"string(//tr[@data-key='{MERIDIAN_KEY}']//td[@class='status'])")
    assert "2 warnings" in status and "error" not in status
    tidewater = listing.xpath(f"string(//tr[@data-key='{TIDEWATER_KEY}']//td[@class='status'])")
    assert "lint clean" in tidewater

    page = doc(get(preview, f"/issues/{MERIDIAN_KEY}/"))
    findings = {row.get("data-code"): row for row in page.xpath("//tr[contains(@class, 'finding')]")}
    assert set(findings) == {"subject-too-long", "link-not-https"}
    too_long = findings["subject-too-long"].text_content()
    assert "warning" in too_long and "Shorten [issue] subject" in too_long
    assert "http://old.example/story" in findings["link-not-https"].text_content()
    assert "lint: 0 errors, 2 warnings" in page.xpath("string(//section[@class='lint']//h2)")


def test_issue_page_shows_inbox_row_both_frames_and_the_text_part(preview, meridian):
    rendered, _ = render_folder(meridian)
    response = get(preview, f"/issues/{MERIDIAN_KEY}/")
    assert response.status_code == 200
    page = doc(response)
    inbox = page.xpath("string(//section[@class='inbox'])")
    assert "Meridian Daily" in inbox
    assert rendered.issue.subject in inbox
    assert rendered.issue.preheader in inbox
    frames = page.xpath("//iframe[contains(@class, 'email')]")
    assert [f.get("width") for f in frames] == ["640", "375"]
    for frame in frames:
        # Sandboxed without allow-scripts: nothing in the email can run.
        assert "allow-scripts" not in frame.get("sandbox")
        assert rendered.issue.lead.title in frame.get("srcdoc")
    text_part = page.xpath("string(//section[@class='text-part']//pre)")
    assert rendered.issue.lead.title.upper() in text_part.upper() and "Unsubscribe:" in text_part
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_personas_change_the_recipient_and_mark_proofs(preview):
    def inbox(persona: str) -> str:
        return doc(get(preview, f"/issues/{MERIDIAN_KEY}/?persona={persona}")).xpath(
            "string(//section[@class='inbox'])"
        )

    assert "Ana Ruiz <ana.ruiz@example.com>" in inbox("named")
    anonymous = inbox("anonymous")
    assert "reader@example.com" in anonymous and "Ana Ruiz" not in anonymous
    assert "[PROOF] The Kremlin goes recruiting next door" in inbox("proof")
    assert "[PROOF]" not in inbox("named")
    assert "Ana Ruiz" in inbox("no-such-persona"), "an unknown persona falls back to the default"


def test_each_persona_gets_its_own_copy_as_digest_send_would_make_it(preview):
    def copy(persona: str, part: str) -> httpx.Response:
        return get(preview, f"/issues/{MERIDIAN_KEY}/email.{part}?persona={persona}")

    named, anonymous = copy("named", "html"), copy("anonymous", "html")
    assert "Hi Ana," in named.text and "Hi Ana," in copy("named", "txt").text
    assert "Hi " not in lxml_html.document_fromstring(anonymous.text).text_content().split("RUSSIA")[0]
    for response in (named, anonymous):
        assert "The Kremlin goes recruiting next door" in response.text
        # Each copy carries a signed unsubscribe link, as a subscriber's copy would.
        assert "/daily/unsubscribe?token=" in response.text
    frames = doc(get(preview, f"/issues/{MERIDIAN_KEY}/?persona=named")).xpath("//iframe/@srcdoc")
    assert all("Hi Ana," in srcdoc for srcdoc in frames)


def test_email_alone_is_served_sandboxed(preview):
    response = get(preview, f"/issues/{MERIDIAN_KEY}/email.html?persona=proof")
    assert response.text.startswith("<!doctype html>")
    policy = response.headers["content-security-policy"]
    assert policy.startswith("sandbox") and "script-src" not in policy and "default-src 'none'" in policy
    text = get(preview, f"/issues/{MERIDIAN_KEY}/email.txt?persona=proof")
    assert text.text.startswith("MERIDIAN DAILY")
    assert text.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("path", ["/issues/nope/", "/issues/../../etc/", "/issues/%2e%2e/%2e%2e/etc/"])
def test_only_issues_found_under_the_project_are_served(preview, path):
    assert get(preview, path).status_code == 404


def test_a_broken_story_is_shown_on_the_page_and_the_server_keeps_serving(preview, meridian):
    write_story(meridian / "stories", "broken", 'title: "No url here"\npriority: "high"')
    (meridian / "stories" / "bad-yaml.md").write_text("---\ntitle: [unclosed\n---\nBody\n", encoding="utf-8")
    response = get(preview, f"/issues/{MERIDIAN_KEY}/")
    assert response.status_code == 200
    problems = doc(response).xpath("//section[@class='problems']//li")
    text = " ".join(p.text_content() for p in problems)
    assert len(problems) == 2, text
    assert "broken.md" in text and "url" in text and "priority" in text
    assert "bad-yaml.md" in text and "not valid YAML" in text
    assert not doc(response).xpath("//iframe"), "nothing is rendered from a broken issue"

    listing = doc(get(preview, "/"))
    status = listing.xpath(f"string(//tr[@data-key='{MERIDIAN_KEY}']//td[@class='status'])")
    assert "2 errors" in status
    assert get(preview, f"/issues/{TIDEWATER_KEY}/").status_code == 200, "other issues still render"
    assert get(preview, f"/issues/{MERIDIAN_KEY}/email.html").status_code == 409

    (meridian / "stories" / "broken.md").unlink()
    (meridian / "stories" / "bad-yaml.md").unlink()
    assert doc(get(preview, f"/issues/{MERIDIAN_KEY}/")).xpath("//iframe"), "fixed files render again"


def test_a_broken_issue_toml_is_shown_too(preview, meridian):
    (meridian / "issue.toml").write_text("[issue\ndate = 2025-01-08\n", encoding="utf-8")
    response = get(preview, f"/issues/{MERIDIAN_KEY}/")
    assert response.status_code == 200
    assert "not valid TOML" in doc(response).xpath("string(//section[@class='problems'])")


def choose(server: RunningServer, action: str, story: str, persona: str = "named") -> httpx.Response:
    return post(
        server,
        f"/issues/{MERIDIAN_KEY}/choice",
        {"action": action, "story": story, "persona": persona},
        follow_redirects=False,
    )


def story_list(server: RunningServer) -> list[tuple[str, str]]:
    """(story id, composer's reason) in the order the page lists them."""
    page = doc(get(server, f"/issues/{MERIDIAN_KEY}/"))
    stories = page.xpath("//li[contains(@class, 'story')]")
    return [(li.get("data-story"), li.get("data-reason")) for li in stories]


def test_each_story_shows_its_place_and_the_composers_reason(preview):
    page = doc(get(preview, f"/issues/{MERIDIAN_KEY}/"))
    lead = page.xpath("//li[contains(@class, 'story')]")[0]
    assert lead.get("data-story") == "kremlin-recruits-central-asia"
    assert "pinned by the editor" in lead.xpath("string(.//p[@class='reason'])")
    assert "score 144.2 = priority 100" in lead.xpath("string(.//p[@class='score'])")
    sponsored = page.xpath("//li[@data-story='microsoft-sparrow']")[0]
    assert sponsored.get("data-reason") == "sponsored-slot"
    assert "sponsored slot 3" in sponsored.text_content()
    assert not sponsored.xpath(".//button[@value='pin']"), "a sponsored story is never offered as lead"


def test_pin_and_unpin_write_issue_toml_keeping_comments(preview, meridian):
    issue_toml = meridian / "issue.toml"
    before = issue_toml.read_text(encoding="utf-8")
    response = choose(preview, "pin", "europe-pushes-back-on-musk", persona="proof")
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/issues/{MERIDIAN_KEY}/?persona=proof#story-europe-pushes-back-on-musk"
    )
    after = issue_toml.read_text(encoding="utf-8")
    assert tomllib.loads(after)["issue"]["lead"] == "europe-pushes-back-on-musk"
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == ['lead = "europe-pushes-back-on-musk"'], "one line changes, comments stay"
    assert story_list(preview)[0] == ("europe-pushes-back-on-musk", "pinned")

    choose(preview, "unpin", "europe-pushes-back-on-musk")
    unpinned = issue_toml.read_text(encoding="utf-8")
    assert "lead" not in tomllib.loads(unpinned)["issue"]
    assert unpinned.startswith("# One week of Meridian Daily")
    assert story_list(preview)[0][1] == "score", "without a pin the composer's best story leads"


def test_exclude_and_include_round_trip(preview, meridian):
    issue_toml = meridian / "issue.toml"
    before = issue_toml.read_text(encoding="utf-8")
    choose(preview, "exclude", "ces-2025-ai")
    assert tomllib.loads(issue_toml.read_text())["issue"]["exclude"] == ["ces-2025-ai"]
    assert ("ces-2025-ai", "excluded") in story_list(preview)
    assert story_list(preview)[-1] == ("ces-2025-ai", "excluded"), "left-out stories come last"

    choose(preview, "include", "ces-2025-ai")
    assert issue_toml.read_text(encoding="utf-8") == before, "undoing restores the file byte for byte"


def test_move_up_and_down_write_the_order(preview, meridian):
    choose(preview, "down", "europe-pushes-back-on-musk")
    order = tomllib.loads((meridian / "issue.toml").read_text())["issue"]["order"]
    assert order[:2] == ["meta-ai-characters", "europe-pushes-back-on-musk"]
    editorial = [story for story, reason in story_list(preview) if reason == "editor-order"]
    assert editorial[:2] == ["meta-ai-characters", "europe-pushes-back-on-musk"]
    text = (meridian / "issue.toml").read_text()
    assert '\n    "meta-ai-characters",\n' in text, "a long order is written one id per line"

    choose(preview, "up", "europe-pushes-back-on-musk")
    order = tomllib.loads((meridian / "issue.toml").read_text())["issue"]["order"]
    assert order[:2] == ["europe-pushes-back-on-musk", "meta-ai-characters"]


def test_a_move_in_an_issue_that_does_not_compose_is_explained(preview, meridian):
    write_story(meridian / "stories", "broken", 'title: "No url"')
    response = choose(preview, "up", "ces-2025-ai")
    assert response.status_code == 400
    assert "broken.md" in doc(response).xpath("string(//p[@class='message'])")


@pytest.mark.parametrize(
    ("action", "story"), [("fly", "ces-2025-ai"), ("pin", "../../etc/passwd"), ("pin", "no-such-story")]
)
def test_unknown_actions_and_stories_are_refused(preview, meridian, action, story):
    before = (meridian / "issue.toml").read_text(encoding="utf-8")
    assert choose(preview, action, story).status_code == 400
    assert (meridian / "issue.toml").read_text(encoding="utf-8") == before


def test_posts_from_other_sites_are_refused(preview, meridian):
    before = (meridian / "issue.toml").read_text(encoding="utf-8")
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        form = {"action": "pin", "story": "ces-2025-ai"}
        response = post(preview, f"/issues/{MERIDIAN_KEY}/choice", form, headers=headers)
        assert response.status_code == 403
    assert (meridian / "issue.toml").read_text(encoding="utf-8") == before


def test_other_host_names_are_refused_while_on_loopback(preview):
    # A DNS-rebinding page reaches 127.0.0.1 under its own host name; it must get nothing.
    assert get(preview, "/", headers={"Host": "evil.example"}).status_code == 400
    assert get(preview, "/", headers={"Host": "localhost"}).status_code == 200


def _first_event(server: RunningServer, since: str, received: list[str], ready: threading.Event) -> None:
    with httpx.stream("GET", server.url + f"events?since={since}", timeout=10) as response:
        ready.set()
        for line in response.iter_lines():
            if line.startswith("event:"):
                received.append(line.split(":", 1)[1].strip())
                return


def _reload_token(server: RunningServer, path: str) -> str:
    return doc(get(server, path)).find("body").get("data-reload-token")


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda m: m / "stories" / "ces-2025-ai.md", id="story"),
        pytest.param(lambda m: m / "issue.toml", id="issue.toml"),
    ],
)
def test_an_edit_sends_a_reload_event(preview, meridian, edit):
    token = _reload_token(preview, f"/issues/{MERIDIAN_KEY}/")
    received: list[str] = []
    ready = threading.Event()
    listener = threading.Thread(target=_first_event, args=(preview, token, received, ready), daemon=True)
    listener.start()
    assert ready.wait(5)
    path: Path = edit(meridian)
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    listener.join(timeout=5)
    assert received == ["reload"]


def test_a_page_older_than_the_last_change_reloads_at_once(preview, meridian):
    token = _reload_token(preview, f"/issues/{MERIDIAN_KEY}/")
    story = meridian / "stories" / "ces-2025-ai.md"
    story.write_text(story.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    deadline = time.monotonic() + 5
    while _reload_token(preview, "/") == token:  # the watcher has seen the change
        assert time.monotonic() < deadline, "the file watcher never saw the edit"
        time.sleep(0.05)
    received: list[str] = []
    ready = threading.Event()
    _first_event(preview, token, received, ready)  # opened after the change: told straight away
    assert received == ["reload"]


def test_the_app_can_run_bound_to_other_hosts_when_asked(project):
    from digest.web.preview import create_preview_app

    with RunningServer(create_preview_app(project, allowed_hosts=None, watch=False)) as server:
        assert get(server, "/", headers={"Host": "preview.internal"}).status_code == 200


def _proof_project(project: Path) -> None:
    # [smtp] without TLS, for the plain test server; host and port come from the environment.
    (project / "digest.toml").write_text(DELIVERY_TOML, encoding="utf-8")


def test_send_proof_reaches_a_real_smtp_server(preview, project, monkeypatch):
    _proof_project(project)
    with SmtpTestServer() as smtp:
        for name, value in smtp.environ().items():
            monkeypatch.setenv(name, value)
        to = "Editor One <one@example.com>, two@example.com"
        form = {"to": to, "persona": "proof"}
        response = post(preview, f"/issues/{MERIDIAN_KEY}/proof", form, follow_redirects=True)
        assert response.status_code == 200
        notice = doc(response).xpath("string(//div[contains(@class, 'notice')])")
        assert "Proof sent to Editor One <one@example.com>, two@example.com." in notice
        assert doc(response).xpath("//input[@id='proof-to']/@value") == [to], "the form keeps the addresses"
        assert sorted(smtp.copies) == ["one@example.com", "two@example.com"]
        for received in smtp.received:
            message = received.message()
            assert message["Subject"] == "[PROOF] The Kremlin goes recruiting next door"
            assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
        named = next(r.message() for r in smtp.received if r.rcpt_tos == ["one@example.com"])
        assert "Hi Editor," in named.get_body(("plain",)).get_content()


def test_a_refused_proof_address_is_reported_on_the_page(preview, project, monkeypatch):
    _proof_project(project)
    with SmtpTestServer(Faults(refuse={"bad@example.com": "550 5.1.1 no such user"})) as smtp:
        for name, value in smtp.environ().items():
            monkeypatch.setenv(name, value)
        form = {"to": "good@example.com; bad@example.com"}
        response = post(preview, f"/issues/{MERIDIAN_KEY}/proof", form, follow_redirects=True)
        notice = doc(response).xpath("//div[contains(@class, 'notice')]")[0]
        assert "failed" in notice.get("class")
        assert "Proof sent to 1 of 2 addresses." in notice.text_content()
        assert "bad@example.com" in notice.text_content() and "550" in notice.text_content()
        assert list(smtp.copies) == ["good@example.com"]


@pytest.mark.parametrize(
    ("to", "message"),
    [(" , ", "give at least one address"), ("not an address", "the proof was not sent")],
)
def test_a_proof_needs_valid_addresses(preview, to, message):
    response = post(preview, f"/issues/{MERIDIAN_KEY}/proof", {"to": to})
    assert response.status_code == 400
    assert message in doc(response).xpath("string(//p[@class='message'])")


# Same host and port as the preview, then a path a browser reads as another host.
REFERER_TRICKS = ("//evil.example/x", "/\\evil.example/x", "/%2F%2Fevil.example/x", "/./\t//evil.example/x")


@pytest.mark.parametrize("trick", REFERER_TRICKS)
def test_the_error_pages_back_link_comes_from_the_route_never_the_referer(preview, trick):
    headers = {"Referer": preview.url.rstrip("/") + trick}
    answers = {
        "/": [
            get(preview, "/issues/nope/", headers=headers),
            get(preview, "/no-such-page", headers=headers),
        ],
        f"/issues/{MERIDIAN_KEY}/": [
            post(preview, f"/issues/{MERIDIAN_KEY}/proof", {"to": " , "}, headers=headers),
            post(preview, f"/issues/{MERIDIAN_KEY}/choice", {"action": "fly", "story": "x"}, headers=headers),
        ],
    }
    for back, responses in answers.items():
        for response in responses:
            assert response.status_code in (400, 404)
            assert doc(response).xpath("//a[text()='Back']/@href") == [back], response.url

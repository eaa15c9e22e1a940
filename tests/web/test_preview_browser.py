"""The preview as an editor sees it: Debian's Chromium (headless) driven by Playwright."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

from tests.conftest import DELIVERY_TOML, write_story
from tests.smtp_server import SmtpTestServer
from tests.web.servers import RunningServer

MERIDIAN = "issues/meridian-2025-01-08/"
OVERFLOW = """() => {
  const root = document.documentElement;
  return {width: root.clientWidth, scroll: root.scrollWidth, text: document.body.innerText};
}"""


def open_issue(page, server: RunningServer, path: str = MERIDIAN):
    page.goto(server.url + path)
    page.wait_for_selector("body[data-ready]")
    return page


def frame(page, which: str):
    return page.locator(f"figure.{which} iframe").element_handle().content_frame()


def test_the_issue_page_shows_both_widths_with_no_sideways_scroll(preview, page, artifacts):
    open_issue(page, preview)
    assert page.locator(".inbox .sender").inner_text() == "Meridian Daily"
    assert page.locator(".inbox .subject").inner_text() == "The Kremlin goes recruiting next door"

    widths = {}
    for which in ("desktop", "phone"):
        measured = frame(page, which).evaluate(OVERFLOW)
        widths[which] = measured["width"]
        assert measured["scroll"] <= measured["width"], f"{which} frame scrolls sideways: {measured}"
        assert "The Kremlin goes recruiting next door" in measured["text"]
        # The frame is as tall as the email: only the page scrolls.
        box = page.locator(f"figure.{which} iframe").bounding_box()
        height = frame(page, which).evaluate("document.documentElement.scrollHeight")
        assert abs(box["height"] - height) <= 20, (which, box, height)
    assert widths["desktop"] >= 600
    assert widths["phone"] == 375

    assert "MERIDIAN DAILY" in page.locator(".text-part pre").inner_text()
    page.screenshot(path=artifacts / "preview-page.png")
    page.locator("figure.desktop iframe").screenshot(path=artifacts / "preview-desktop.png")
    page.locator("figure.phone iframe").screenshot(path=artifacts / "preview-phone.png")


def test_the_phone_frame_has_no_sideways_scroll_for_the_other_week_either(preview, page, artifacts):
    open_issue(page, preview, "issues/tidewater/2025-03-14/")
    measured = frame(page, "phone").evaluate(OVERFLOW)
    assert measured["width"] == 375 and measured["scroll"] <= 375
    page.locator("figure.phone iframe").screenshot(path=artifacts / "preview-phone-tidewater.png")


def test_pin_and_exclude_buttons_rewrite_issue_toml_and_the_page(preview, page, meridian):
    def choices() -> dict:
        return tomllib.loads((meridian / "issue.toml").read_text())["issue"]

    open_issue(page, preview)
    story = page.locator("li.story[data-story='europe-pushes-back-on-musk']")
    story.get_by_role("button", name="Pin as lead").click()
    page.wait_for_selector("li.story:first-child[data-story='europe-pushes-back-on-musk']")
    assert choices()["lead"] == "europe-pushes-back-on-musk"
    page.wait_for_selector("body[data-ready]")
    lead = frame(page, "desktop").locator("h1").first.inner_text()
    assert lead == "Europe's leaders decide it is time to push back on Musk"

    page.locator("li.story[data-story='ces-2025-ai']").get_by_role("button", name="Exclude").click()
    page.wait_for_selector("li.story.left-out[data-story='ces-2025-ai']")
    assert choices()["exclude"] == ["ces-2025-ai"]
    page.wait_for_selector("body[data-ready]")
    assert "AI takes the main stage at CES" not in frame(page, "phone").evaluate("document.body.innerText")

    page.locator("li.story:first-child").get_by_role("button", name="Unpin lead").click()
    page.wait_for_selector("li.story:first-child:not(:has(.pinned))")
    assert "lead" not in choices()


def _reloads_after(page, edit, expect_text: str) -> float:
    """Seconds from a file edit until the open page shows `expect_text` (reloaded by itself)."""
    page.evaluate("window.__beforeReload = true")
    started = time.monotonic()
    edit()
    page.wait_for_function("() => !window.__beforeReload && document.body.dataset.ready", timeout=3000)
    elapsed = time.monotonic() - started
    assert expect_text in frame(page, "desktop").evaluate("document.body.innerText")
    return elapsed


def test_live_reload_after_story_issue_toml_and_template_edits(page, project, meridian):
    # A theme of the publisher's own, so a template edit is part of the test too.
    theme = project / "theme" / "partials"
    theme.mkdir(parents=True)
    header = (Path(__file__).resolve().parents[2] / "templates" / "partials" / "header.mjml.j2").read_text()
    (theme / "header.mjml.j2").write_text(header)
    issue_toml = meridian / "issue.toml"
    text = issue_toml.read_text().replace('lang = "en"', 'lang = "en"\ntheme = "../theme"')
    issue_toml.write_text(text)

    from digest.web.preview import create_preview_app

    with RunningServer(create_preview_app(project)) as server:
        open_issue(page, server)
        story = meridian / "stories" / "kremlin-recruits-central-asia.md"
        timings = [
            _reloads_after(
                page,
                lambda: story.write_text(
                    story.read_text().replace("The Kremlin goes recruiting", "The Kremlin keeps recruiting")
                ),
                "The Kremlin keeps recruiting next door",
            ),
            _reloads_after(
                page,
                lambda: issue_toml.write_text(
                    issue_toml.read_text().replace("[issue]", '[issue]\nintro = "Edited intro."')
                ),
                "Edited intro.",
            ),
            _reloads_after(
                page,
                lambda: (theme / "header.mjml.j2").write_text(
                    header.replace("{{ newsletter.name }}", "{{ newsletter.name }} (edited theme)")
                ),
                "Meridian Daily (edited theme)",
            ),
        ]
        page.goto("about:blank")  # closes the event stream before the server stops
    assert all(t < 3 for t in timings), timings


def test_a_story_with_a_script_payload_runs_nothing(page, project, meridian, artifacts):
    payload = "<script>window.top.__pwned = 'script'; alert('script')</script>"
    write_story(
        meridian / "stories",
        "hostile",
        f"""
        title: {payload!r}
        url: "https://evil.example/story"
        priority: 100
        image: "https://evil.example/x.jpg"
        image_alt: "\\"><img src=x onerror=\\"window.top.__pwned='alt'\\">"
        section: "<svg onload=alert('section')>"
        """,
        body=payload + "\n\n<img src=x onerror=\"window.top.__pwned='body'\"> [x](javascript:alert('link'))",
    )
    issue_toml = meridian / "issue.toml"
    text = issue_toml.read_text().replace('lead = "kremlin-recruits-central-asia"', 'lead = "hostile"')
    text = text.replace("[issue]", f"[issue]\nsubject = {payload!r}")
    issue_toml.write_text(text)

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    from digest.web.preview import create_preview_app

    with RunningServer(create_preview_app(project, watch=False)) as server:
        open_issue(page, server)
        page.wait_for_timeout(300)  # room for any handler that was going to fire
        assert dialogs == []
        assert page.evaluate("window.__pwned") is None
        for which in ("desktop", "phone"):
            email = frame(page, which)
            assert email.evaluate("window.__pwned") is None
            assert email.evaluate("document.querySelectorAll('script').length") == 0
            assert payload in email.evaluate("document.body.innerText"), "the title shows as text"
        assert page.locator(".inbox .subject").inner_text() == payload
        assert page.locator("li.story[data-story='hostile'] .story-title").inner_text() == payload
        page.locator("figure.desktop iframe").screenshot(path=artifacts / "preview-hostile.png")
        page.goto("about:blank")


def test_send_proof_from_the_page_reaches_a_real_smtp_server(preview, page, project, monkeypatch):
    (project / "digest.toml").write_text(DELIVERY_TOML, encoding="utf-8")  # [smtp] without TLS
    with SmtpTestServer() as smtp:
        for name, value in smtp.environ().items():
            monkeypatch.setenv(name, value)
        open_issue(page, preview, MERIDIAN + "?persona=proof")
        assert page.locator(".inbox .subject").inner_text().startswith("[PROOF] ")
        page.fill("#proof-to", "desk@example.com")
        page.get_by_role("button", name="Send proof").click()
        page.wait_for_selector(".notice.ok")
        assert page.locator(".notice").inner_text() == "Proof sent to desk@example.com."
        assert list(smtp.copies) == ["desk@example.com"]
        message = smtp.received[0].message()
        assert message["Subject"] == "[PROOF] The Kremlin goes recruiting next door"


def test_the_named_persona_is_greeted_by_name(preview, page):
    open_issue(page, preview, MERIDIAN + "?persona=named")
    assert "Hi Ana," in frame(page, "phone").evaluate("document.body.innerText")
    page.get_by_role("link", name="Subscriber without a name").click()
    page.wait_for_selector("body[data-ready]")
    assert "Hi " not in frame(page, "phone").evaluate("document.body.innerText").split("RUSSIA")[0]
    assert "reader@example.com" in page.locator(".inbox .to").inner_text()

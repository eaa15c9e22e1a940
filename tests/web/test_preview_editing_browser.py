"""Inline editing in Debian's Chromium: a headline edited on the page shows in the desktop, phone
and text frames and lands in issue.toml (how fast is `python -m tests.benchmarks preview`'s figure,
against the issue's 300 ms: speed is measured in benchmarks, not timed tests); More from
reordered by dragging and by the keyboard; Undo; two windows on one week; axe-core clean at 375 and
1366 px."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator

import pytest

from tests.judges.test_browser import axe_violations
from tests.web.servers import RunningServer

WEEKS = ("meridian-2025-01-08", "tidewater/2025-03-14")

# Type a headline and save it, timed in the page: done when both email frames and the plain-text
# part show the new headline.
EDIT_AND_TIME = """([story, headline]) => new Promise((resolve) => {
  const item = document.querySelector(`li.story[data-story='${story}']`);
  item.querySelector("details.edit-story").open = true;
  const field = item.querySelector("input[name='title']");
  field.value = headline;
  const shown = () => Array.from(document.querySelectorAll("iframe.email")).every(
      (frame) => (frame.getAttribute("srcdoc") || "").includes(headline))
    && document.querySelector(".text-part pre").textContent.includes(headline);
  const started = performance.now();
  const observer = new MutationObserver(() => {
    if (shown()) { observer.disconnect(); resolve(performance.now() - started); }
  });
  observer.observe(document.body, {childList: true, subtree: true, attributes: true});
  setTimeout(() => { observer.disconnect(); resolve(Infinity); }, 5000);  // never shown: fail, not hang
  item.querySelector("details.edit-story button[type='submit']").click();
})"""


@pytest.fixture
def open_page(browser, preview: RunningServer) -> Iterator:
    contexts = []

    def open_at(key: str, width: int = 1366, bypass_csp: bool = False, live: bool = True):
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=bypass_csp)
        contexts.append(context)
        context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
        if not live:  # a window whose live reload has not arrived yet
            context.route("**/events*", lambda route: route.abort())
        page = context.new_page()
        page.goto(f"{preview.url}issues/{key}/")
        page.wait_for_selector("body[data-ready]")
        return page

    yield open_at
    for context in contexts:
        context.close()


def _stories(project, key: str) -> dict:
    return tomllib.loads((project / key / "issue.toml").read_text(encoding="utf-8")).get("stories", {})


@pytest.mark.parametrize("key", WEEKS)
def test_an_edited_headline_shows_in_every_frame_and_in_issue_toml(open_page, project, key):
    page = open_page(key)
    timings = []
    for n in range(3):
        story = page.locator("li.story:not(.left-out)").nth(n).get_attribute("data-story")
        page.wait_for_selector("body[data-ready]")
        headline = f"Edited headline number {n}"
        timings.append(page.evaluate(EDIT_AND_TIME, [story, headline]))
        assert _stories(project, key)[story]["title"] == headline
        page.wait_for_selector("body[data-ready]")
    print(
        f"\n{key}: edit → desktop, phone and text frames show it, ms: "
        + ", ".join(f"{t:.0f}" for t in timings)
    )
    # Every edit reached all three frames (a frame that never showed it times out as infinity).
    assert all(t != float("inf") for t in timings), timings


def _more_from(page) -> list[str]:
    return page.eval_on_selector_all(
        "li.story[data-kind='article'] .drag-handle", "hs => hs.map(h => h.closest('li').dataset.story)"
    )


def test_more_from_reorders_by_dragging_and_by_keyboard(open_page, project):
    key = WEEKS[0]
    page = open_page(key)
    before = _more_from(page)
    first, third = before[0], before[2]
    # The HTML5 drag events as Chromium fires them for a mouse drag, with one DataTransfer.
    page.evaluate(
        """([from, to]) => {
          const data = new DataTransfer();
          const fire = (el, type) => el.dispatchEvent(
            new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
          fire(document.querySelector(`li.story[data-story='${from}'] .drag-handle`), "dragstart");
          const target = document.querySelector(`li.story[data-story='${to}'] .story-title`);
          fire(target, "dragover");
          fire(target, "drop");
        }""",
        [first, third],
    )
    page.wait_for_function(
        "(s) => document.querySelector(`li.story[data-story='${s}']`).dataset.reason === 'editor-order'",
        arg=first,
    )
    page.wait_for_selector("body[data-ready]")
    assert _more_from(page)[:3] == [before[1], before[2], first]
    order = tomllib.loads((project / key / "issue.toml").read_text(encoding="utf-8"))["issue"]["order"]
    assert order.index(first) == order.index(before[2]) + 1, order
    # The keyboard way: focus a story's Up button and press Enter.
    page.locator(f"li.story[data-story='{first}'] button[value='up']").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(story) => Array.from(document.querySelectorAll('li.story[data-kind=article] .drag-handle'))"
        ".map(h => h.closest('li').dataset.story)[1] === story",
        arg=first,
    )
    # Sponsored blocks keep their slots and the page says why.
    assert (
        "sponsored_slots"
        in page.locator("li.story[data-kind='sponsored'] .sponsored-slot").first.inner_text()
    )


def test_undo_takes_an_edit_back(open_page, project):
    key = WEEKS[0]
    before = (project / key / "issue.toml").read_text(encoding="utf-8")
    page = open_page(key)
    page.fill("#edit-subject", "A subject of the editor's own")
    page.get_by_role("button", name="Save wording").click()
    page.wait_for_selector(".last-edit")
    assert "A subject of the editor's own" in (project / key / "issue.toml").read_text(encoding="utf-8")
    page.get_by_role("button", name="Undo edit").click()
    page.wait_for_function("() => !document.querySelector('.last-edit') && document.body.dataset.ready")
    assert (project / key / "issue.toml").read_text(encoding="utf-8") == before


def test_two_windows_on_one_week_do_not_overwrite_each_other(open_page, project):
    key = WEEKS[0]
    # The second window's live reload has not arrived yet (its stream is cut): its form is stale.
    first, second = open_page(key), open_page(key, live=False)
    story = "ces-2025-ai"
    for page, headline in ((first, "The first window's headline"), (second, "The second window's headline")):
        page.locator(f"li.story[data-story='{story}'] details.edit-story summary").click()
        page.fill(f"#headline-{story}", headline)
    first.locator(f"li.story[data-story='{story}'] details.edit-story button[type='submit']").click()
    first.wait_for_selector(".last-edit")
    second.locator(f"li.story[data-story='{story}'] details.edit-story button[type='submit']").click()
    second.wait_for_selector("text=Changed by someone else")
    assert re.search(r"changed by another window at \d\d:\d\d:\d\d UTC", second.inner_text("main"))
    assert _stories(project, key)[story]["title"] == "The first window's headline"


@pytest.mark.parametrize("width", (375, 1366))
def test_the_week_page_with_its_edit_forms_passes_axe(open_page, width: int):
    page = open_page(WEEKS[0], width, bypass_csp=True)
    page.fill("#edit-subject", "x" * 70)  # the counter's warning shows too
    page.locator("details.edit-story").first.evaluate("d => { d.open = true; }")
    assert "inboxes cut it after 60" in page.inner_text("#count-subject")
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)

"""Inline editing over real HTTP (uvicorn on 127.0.0.1): edits written to issue.toml with its
comments kept and shown escaped in the email, bad values refused in one line, a stale form
refused without writing, and Undo back through the last 20 edits."""

from __future__ import annotations

import re

import httpx
from lxml import html as lxml_html

from digest.settings.issue_edits import issue_version
from digest.web.preview.editing import UNDO_DEPTH
from tests.web.servers import RunningServer

KEY = "meridian-2025-01-08"
STORY = "ces-2025-ai"


def post(server: RunningServer, path: str, data: dict) -> httpx.Response:
    return httpx.post(server.url.rstrip("/") + path, data=data, timeout=10, follow_redirects=True)


def get(server: RunningServer, path: str) -> httpx.Response:
    return httpx.get(server.url.rstrip("/") + path, timeout=10)


def edit(server: RunningServer, folder, **fields: str) -> httpx.Response:
    data = {"version": issue_version(folder), **fields}
    return post(server, f"/issues/{KEY}/edit", data)


def test_a_headline_edit_is_written_as_the_story_override_and_shown_escaped(preview, meridian):
    before = (meridian / "issue.toml").read_text(encoding="utf-8")
    response = edit(preview, meridian, story=STORY, title="CES: the <AI> show & more", image_alt="")
    assert response.status_code == 200, response.text
    after = (meridian / "issue.toml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n")), "the editor's file is kept as it was, comments too"
    assert f'[stories.{STORY}]\ntitle = "CES: the <AI> show & more"' in after
    email = get(preview, f"/issues/{KEY}/email.html").text
    assert "CES: the &lt;AI&gt; show &amp; more" in email and "<AI>" not in email
    assert "CES: the <AI> show & more" in get(preview, f"/issues/{KEY}/email.txt").text
    page = lxml_html.document_fromstring(get(preview, f"/issues/{KEY}/").text)
    assert page.get_element_by_id(f"headline-{STORY}").value == "CES: the <AI> show & more"


def test_the_subject_and_preheader_are_edited_with_their_counters(preview, meridian):
    subject = "A subject that runs on well past the sixty characters an inbox shows"
    assert edit(preview, meridian, subject=subject, preheader="Short", intro="").status_code == 200
    text = (meridian / "issue.toml").read_text(encoding="utf-8")
    assert f'subject = "{subject}"' in text and 'preheader = "Short"' in text
    page = lxml_html.document_fromstring(get(preview, f"/issues/{KEY}/").text)
    counter = page.get_element_by_id("count-subject").text_content()
    assert f"{len(subject)} / 60 characters: inboxes cut it after 60" in counter
    assert page.get_element_by_id("count-preheader").text_content().strip() == "5 / 100 characters"


def test_bad_values_are_refused_in_one_line_and_nothing_is_written(preview, meridian):
    before = (meridian / "issue.toml").read_text(encoding="utf-8")
    cases = {
        "image": ("javascript:alert(1)", "Image URL: must be an absolute http(s) URL"),
        "title": ("x" * 301, "Headline: 301 characters; at most 300"),
        "image_credit": ("two\nlines", "Image credit: one line of text"),
    }
    for field, (value, words) in cases.items():
        response = edit(preview, meridian, story=STORY, **{field: value})
        assert response.status_code == 400, field
        assert words in response.text and "Traceback" not in response.text
    assert edit(preview, meridian, story="no-such-story", title="x").status_code == 400
    assert (meridian / "issue.toml").read_text(encoding="utf-8") == before


def test_a_stale_form_changes_nothing_and_says_who_changed_the_file(preview, meridian):
    stale = issue_version(meridian)
    assert edit(preview, meridian, story=STORY, title="First window's headline").status_code == 200
    written = (meridian / "issue.toml").read_text(encoding="utf-8")
    response = post(preview, f"/issues/{KEY}/edit", {"version": stale, "story": STORY, "title": "Second"})
    assert response.status_code == 409
    message = lxml_html.document_fromstring(response.text).text_content()
    assert re.search(r"changed by another window at \d\d:\d\d:\d\d UTC", message), message
    assert "Reload the page" in message
    assert (meridian / "issue.toml").read_text(encoding="utf-8") == written


def test_undo_goes_back_through_the_last_twenty_edits(preview, meridian):
    original = (meridian / "issue.toml").read_text(encoding="utf-8")
    versions = [original]
    for n in range(UNDO_DEPTH + 1):
        assert edit(preview, meridian, story=STORY, title=f"Headline {n}").status_code == 200
        versions.append((meridian / "issue.toml").read_text(encoding="utf-8"))
    for n in range(UNDO_DEPTH):
        assert post(preview, f"/issues/{KEY}/undo-edit", {}).status_code == 200
        assert (meridian / "issue.toml").read_text(encoding="utf-8") == versions[-2 - n]
    assert post(preview, f"/issues/{KEY}/undo-edit", {}).status_code == 400, "the 21st edit back is gone"
    assert 'title = "Headline 0"' in (meridian / "issue.toml").read_text(encoding="utf-8")


def test_a_section_edit_is_written_and_shown_as_the_story_label(preview, meridian):
    response = edit(preview, meridian, story=STORY, section="Tech <& gadgets>")
    assert response.status_code == 200, response.text
    assert f'[stories.{STORY}]\nsection = "Tech <& gadgets>"' in (meridian / "issue.toml").read_text("utf-8")
    email = lxml_html.document_fromstring(get(preview, f"/issues/{KEY}/email.html").text)
    kickers = [k.text_content().strip() for k in email.find_class("kicker")]
    assert "Tech <& gadgets>" in kickers
    assert "TECH <& GADGETS>" in get(preview, f"/issues/{KEY}/email.txt").text
    page = lxml_html.document_fromstring(get(preview, f"/issues/{KEY}/").text)
    assert page.get_element_by_id(f"section-{STORY}").value == "Tech <& gadgets>"
    # the field sent back as shown writes nothing more; emptied, the story's own section is back
    version = issue_version(meridian)
    assert edit(preview, meridian, story=STORY, section="Tech <& gadgets>").status_code == 200
    assert issue_version(meridian) == version
    assert edit(preview, meridian, story=STORY, section="").status_code == 200
    assert "section" not in (meridian / "issue.toml").read_text("utf-8")


def test_a_sponsored_block_has_no_section_to_edit(preview, meridian):
    page = lxml_html.document_fromstring(get(preview, f"/issues/{KEY}/").text)
    before = (meridian / "issue.toml").read_text("utf-8")
    ids = [i.get("value") for i in page.xpath("//form[contains(@class,'edit')]/input[@name='story']")]
    sponsored_ids = [i for i in ids if page.xpath(f"//*[@id='section-{i}']") == []]
    assert sponsored_ids, "the sponsored blocks' forms have no Section field"
    response = edit(preview, meridian, story=sponsored_ids[0], section="Town")
    assert response.status_code == 400 and "a sponsored block keeps its slot" in response.text
    assert (meridian / "issue.toml").read_text("utf-8") == before


def undo_form(server: RunningServer) -> dict[str, str]:
    """The page's one Undo: its form fields, its kind (edit or choice) and its message."""
    page = lxml_html.document_fromstring(get(server, f"/issues/{KEY}/").text)
    (form,) = page.xpath("//form[contains(@class, 'last-edit') or contains(@class, 'last-choice')]")
    fields = {i.get("name"): i.get("value") for i in form.xpath(".//input")}
    return {**fields, "kind": form.get("class").split()[0], "message": form.xpath("string(.//span)")}


def test_one_undo_history_takes_back_edits_and_choices_newest_first(preview, meridian):
    def choose(action: str, story: str) -> None:
        data = {"action": action, "story": story, "persona": "named"}
        assert post(preview, f"/issues/{KEY}/choice", data).status_code == 200

    texts = [(meridian / "issue.toml").read_text(encoding="utf-8")]
    steps = []
    for n in range(UNDO_DEPTH // 2 + 1):  # 22 steps, alternating kinds
        assert edit(preview, meridian, story=STORY, title=f"Headline {n}").status_code == 200
        texts.append((meridian / "issue.toml").read_text(encoding="utf-8"))
        steps.append(("last-edit", "Edited: "))  # named by the headline it had
        choose("exclude" if n % 2 == 0 else "include", "europe-pushes-back-on-musk")
        texts.append((meridian / "issue.toml").read_text(encoding="utf-8"))
        steps.append(("last-choice", "Excluded" if n % 2 == 0 else "Included"))
    for n in range(UNDO_DEPTH):
        form = undo_form(preview)
        kind, words = steps[-1 - n]
        assert form["kind"] == kind and words in form["message"], (n, form)
        assert post(preview, f"/issues/{KEY}/undo", {"version": form["version"]}).status_code == 200
        assert (meridian / "issue.toml").read_text(encoding="utf-8") == texts[-2 - n], n
    assert post(preview, f"/issues/{KEY}/undo", {}).status_code == 400, "the 21st step back is gone"


def test_an_undo_from_a_stale_page_is_refused_with_who_changed_it(preview, meridian):
    assert edit(preview, meridian, story=STORY, title="First").status_code == 200
    stale = undo_form(preview)["version"]
    post(preview, f"/issues/{KEY}/choice", {"action": "exclude", "story": STORY, "persona": "named"})
    written = (meridian / "issue.toml").read_text(encoding="utf-8")
    response = post(preview, f"/issues/{KEY}/undo", {"version": stale})
    assert response.status_code == 409
    message = lxml_html.document_fromstring(response.text).text_content()
    assert re.search(r"changed by another window at \d\d:\d\d:\d\d UTC", message), message
    assert (meridian / "issue.toml").read_text(encoding="utf-8") == written

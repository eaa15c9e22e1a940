"""What the preview tells an editor, over real HTTP: a proof that goes to the good addresses when
one is mistyped, a subject written for a story that no longer leads, and lint findings that name
the story and field behind them."""

from __future__ import annotations

from tests.conftest import DELIVERY_TOML, write_story
from tests.smtp_server import SmtpTestServer
from tests.web.test_preview_http import MERIDIAN_KEY, TIDEWATER_KEY, doc, get, post


def test_one_mistyped_proof_address_does_not_keep_the_proof_from_the_others(preview, project, monkeypatch):
    (project / "digest.toml").write_text(DELIVERY_TOML, encoding="utf-8")
    with SmtpTestServer() as smtp:
        for name, value in smtp.environ().items():
            monkeypatch.setenv(name, value)
        form = {"to": "good@example.com, editor at example dot com"}
        response = post(preview, f"/issues/{MERIDIAN_KEY}/proof", form, follow_redirects=True)
        assert response.status_code == 200
        assert list(smtp.copies) == ["good@example.com"]
    notice = doc(response).xpath("//div[contains(@class, 'notice')]")[0].text_content()
    assert "Proof sent to 1 of 2 addresses." in notice
    assert "editor at example dot com: not sent, this is not an email address" in notice
    assert "--test-to" not in response.text, "no command-line flags in a browser's messages"


def test_a_proof_with_no_good_address_says_which_in_plain_words(preview):
    response = post(preview, f"/issues/{MERIDIAN_KEY}/proof", {"to": "desk@"})
    assert response.status_code == 400
    message = doc(response).xpath("string(//p[@class='message'])")
    assert "the proof was not sent: desk@: not sent, this is not an email address" in message
    assert "--test-to" not in response.text


def _warnings(server, key: str) -> str:
    return doc(get(server, f"/issues/{key}/")).xpath("string(//ul[@class='warnings'])")


def test_a_hand_set_subject_is_flagged_when_its_story_no_longer_leads(preview):
    assert "subject" not in _warnings(preview, TIDEWATER_KEY)
    response = post(
        preview,
        f"/issues/{TIDEWATER_KEY}/choice",
        {"action": "pin", "story": "harbour-vote"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    warnings = _warnings(preview, TIDEWATER_KEY)
    assert "The subject was set by hand (“Seagrass is back in Carrick Roads”)" in warnings
    assert "“Seagrass is back in Carrick Roads, five years after replanting”" in warnings
    assert "the lead is now “Harbour dredging plan passes by a single vote”" in warnings


def test_lint_findings_name_the_story_and_the_field(preview, meridian):
    write_story(
        meridian / "stories",
        "plain-http",
        'title: "Old link"\nurl: "http://old.example/story"\nimage: "http://old.example/photo.jpg"',
        body="Read [the archive](http://old.example/archive) too.",
    )
    page = doc(get(preview, f"/issues/{MERIDIAN_KEY}/"))
    rows = page.xpath("//tr[contains(@class, 'finding')]")
    places = {(row.get("data-code"), row.get("data-story"), row.get("data-field")) for row in rows}
    assert ("link-not-https", "plain-http", "url") in places
    assert ("link-not-https", "plain-http", "teaser") in places
    assert ("img-not-https", "plain-http", "image") in places
    image = next(row for row in rows if row.get("data-code") == "img-not-https")
    assert "Story “Old link” (plain-http) · image" in image.xpath("string(td[@class='place'])")


def test_issue_wide_findings_name_the_setting(preview, meridian):
    toml = meridian / "issue.toml"
    long_subject = "An unusually long subject line that a phone's inbox row will certainly cut off"
    toml.write_text(toml.read_text().replace("[issue]", f'[issue]\nsubject = "{long_subject}"'))
    page = doc(get(preview, f"/issues/{MERIDIAN_KEY}/"))
    row = page.xpath("//tr[@data-code='subject-too-long']")[0]
    assert row.xpath("string(td[@class='place'])") == "[issue] subject in issue.toml"

"""Whatever a story or issue.toml says, the preview page carries it as text: no markup, no script."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from digest.markup import fold_whitespace
from digest.web.preview.app import Preview
from digest.web.preview.personas import DEFAULT_PERSONA
from tests.conftest import NEWSLETTER_TOML, write_story

HOSTILE = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "</textarea></iframe><script>top.x=1</script>",
        "' onmouseover='alert(1)",
        "javascript:alert(1)",
        "{{ 7*7 }}",
    ]
)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=60)


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _yaml_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _page(root: Path, title: str, subject: str) -> str:
    (root / "issue").mkdir()
    settings = f"\n[issue]\ndate = 2025-02-03\nsubject = {_toml_string(subject)}\n"
    (root / "issue" / "issue.toml").write_text(NEWSLETTER_TOML + settings, encoding="utf-8")
    write_story(
        root / "issue" / "stories", "hostile", f"title: {_yaml_string(title)}\nurl: https://x.example/"
    )
    preview = Preview(root, watch=False)
    folder = preview.folders()[0]
    snapshot = preview.cache.get(folder)
    assert snapshot.ok, snapshot.problems
    response = preview.page(
        "issue.html",
        snapshot=snapshot,
        folder=folder,
        persona=DEFAULT_PERSONA,
        copy=snapshot.for_recipient(DEFAULT_PERSONA.name, DEFAULT_PERSONA.address),
        email_html="",
        notice=None,
        proof_to="",
        approval=None,
        approval_notice=None,
    )
    return response.body.decode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=HOSTILE | TEXT, subject=HOSTILE | TEXT)
@example(title="Invoice for \u202efdp.exe", subject="\u2066x\u2069")
def test_titles_and_subjects_never_become_markup_on_the_page(title: str, subject: str):
    if not fold_whitespace(title) or not fold_whitespace(subject):  # nothing visible: not a title
        return
    with tempfile.TemporaryDirectory() as tmp:
        page = _page(Path(tmp), title, subject)
    doc = lxml_html.document_fromstring(page)
    scripts = doc.xpath("//script")
    assert [s.get("src") for s in scripts] == ["/static/preview.js"], "only the app's own script"
    assert not doc.xpath("//@*[starts-with(name(), 'on')]")
    assert not doc.xpath("//img[not(ancestor::iframe)]")
    story = doc.xpath("//li[@data-story='hostile']")[0]
    assert fold_whitespace(title) in " ".join(story.xpath("string(.//div[@class='story-title'])").split())

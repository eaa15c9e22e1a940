"""html-validate (npm), configured like Ghost's email renderer tests: 0 errors on each sample week.

tests/js/htmlvalidate-email.json extends html-validate:document + html-validate:standard and allows
only what MJML itself emits:
- ``no-deprecated-attr`` off: MJML's Outlook fallbacks need bgcolor, align, valign, cellpadding,
  cellspacing and border on tables (Ghost turns it off for the same reason).
- ``<img height="auto">``: MJML writes it on every <mj-image> (the CSS height:auto beside it is what
  browsers use); the element metadata accepts "auto" besides an integer, nothing else.
Unlike Ghost, ``heading-level`` stays on and ``<html lang>`` stays required: our headings are ordered
and the language comes from config.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.judges.node import JS, run

CONFIG = JS / "htmlvalidate-email.json"


def validate(path: Path) -> list[dict]:
    result = run("html-validate", "--config", str(CONFIG), "--formatter", "json", str(path))
    assert result.stdout.strip(), result.stderr
    messages = [m for report in json.loads(result.stdout) for m in report["messages"]]
    return [m for m in messages if m["severity"] == 2]


def test_sample_week_html_is_valid(built_weeks, week):
    errors = validate(built_weeks[week].files["html"])
    assert errors == [], "\n".join(f"{m['ruleId']}: {m['message']} (line {m['line']})" for m in errors)


def test_validator_does_catch_invalid_markup(built_weeks, tmp_path: Path):
    broken = tmp_path / "broken.html"
    html = built_weeks["meridian"].rendered.html
    broken.write_text(html.replace("<h3", "<h3 id='x'><div><p></h3", 1).replace("<title>", "<title><b>", 1))
    assert validate(broken)

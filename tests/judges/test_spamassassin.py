"""SpamAssassin (Debian's, local tests only: no network rules) scores each sample week's message."""

from __future__ import annotations

import re
import shutil
import subprocess

ALLOWED = re.compile(r"^(HTML_MESSAGE|HTML_IMAGE_RATIO_\d+|NO_RECEIVED|NO_RELAYS)$")
# "pts rule name description" rows of the report: " 0.0 HTML_MESSAGE  BODY: HTML included in message"
_ROW = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s", re.MULTILINE)


def spamassassin_report(eml: bytes) -> tuple[float, dict[str, float]]:
    if shutil.which("spamassassin") is None:
        raise AssertionError(
            "spamassassin is missing: run tests/install-tools (apt-get install spamassassin)"
        )
    result = subprocess.run(
        ["spamassassin", "-L", "-t"], input=eml, capture_output=True, timeout=120, check=False
    )
    output = result.stdout.decode("utf-8", "replace")
    status = re.search(r"^X-Spam-Status: \w+, score=(-?[\d.]+)", output, re.MULTILINE)
    assert status, output[-2000:]
    details = output[output.find("Content analysis details") :]
    rules = {name: float(points) for points, name in _ROW.findall(details)}
    return float(status.group(1)), rules


def test_sample_weeks_score_low_with_only_informational_rules(built_weeks, week):
    score, rules = spamassassin_report(built_weeks[week].files["eml"].read_bytes())
    print(f"{week}: SpamAssassin score {score}, rules {rules}")
    assert score < 1.0, rules
    unexpected = sorted(rule for rule in rules if not ALLOWED.match(rule))
    assert not unexpected, rules


def test_spamassassin_does_notice_a_spammy_message(built_weeks):
    """The judge can fail: the same message with a shouting, all-image-free stub body scores high."""
    eml = built_weeks["meridian"].files["eml"].read_bytes()
    spammy = eml.replace(b"Subject: ", b"Subject: FREE!!! ACT NOW $$$ 100% GUARANTEED WINNER - ", 1).replace(
        b"Content-Type: text/plain", b"Content-Type: text/plain", 1
    )
    score, rules = spamassassin_report(spammy)
    assert score > 1.0 or any(not ALLOWED.match(rule) for rule in rules), rules

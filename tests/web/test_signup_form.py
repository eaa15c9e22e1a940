"""Issue 14: `digest form` prints the embeddable sign-up form; pasted on an allowed site, the
browser's POST (Origin: that site) signs up over real HTTP and the confirmation email goes out."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from digest.cli import main
from tests.conftest import TEST_SECRET
from tests.web.signup_site import CONSENT, signup_site, write_project


def _fields(snippet: str) -> dict[str, str]:
    return {name: value for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', snippet)}


def test_the_snippet_signs_up_from_its_own_site_only(tmp_path: Path):
    with signup_site(tmp_path, min_fill_seconds=30) as site:
        runner = CliRunner()
        env = {"DIGEST_SECRET": TEST_SECRET}
        config = str(tmp_path / "digest.toml")
        result = runner.invoke(
            main, ["form", "--config", config, "--origin", "https://news.example.com"], env=env
        )
        assert result.exit_code == 0, result.output
        snippet = result.output
        assert 'action="https://example.org/weekly/subscribe"' in snippet and "<script" not in snippet
        assert CONSENT in snippet and 'href="https://example.org/privacy"' in snippet
        assert 'name="website"' in snippet and 'tabindex="-1"' in snippet
        data = {**_fields(snippet), "email": "embedded@example.com", "name": "", "website": ""}
        elsewhere = site.client.post("/subscribe", data=data, headers={"Origin": "https://blog.example.net"})
        assert elsewhere.status_code == 403  # the snippet was made for news.example.com
        answer = site.client.post("/subscribe", data=data, headers={"Origin": "https://news.example.com"})
        assert answer.status_code == 200  # an embedded form has no fill time: the snippet is static
        assert site.mail_to("embedded@example.com")
        [given] = site.store.fetchall("SELECT source FROM pending_signups")
        assert given["source"] == "form: embedded form on https://news.example.com"

        refused = runner.invoke(
            main, ["form", "--config", config, "--origin", "https://evil.example"], env=env
        )
        assert refused.exit_code != 0
        assert refused.output.strip().splitlines() == [
            "error: https://evil.example is not in [signup] allowed_origins: add it there first"
        ]


def test_signup_settings_mistakes_are_one_line(tmp_path: Path):
    write_project(tmp_path)
    config = tmp_path / "digest.toml"
    config.write_text(config.read_text().replace('privacy_url = "https://example.org/privacy"\n', ""))
    result = CliRunner().invoke(main, ["form", "--config", str(config)], env={"DIGEST_SECRET": TEST_SECRET})
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        f"error: {config}: [signup] privacy_url: a sign-up form must link to the privacy policy"
    ]
    config.write_text(config.read_text().replace("enabled = true", "enabled = true\nconfirm_expiry_days = 0"))
    result = CliRunner().invoke(main, ["form", "--config", str(config)], env={"DIGEST_SECRET": TEST_SECRET})
    assert result.exit_code != 0 and "confirm_expiry_days" in result.output
    assert "Traceback" not in result.output

"""issue.toml and digest.toml: declared settings, every error naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.errors import ConfigError
from digest.settings import load_issue_config
from tests.conftest import NEWSLETTER_TOML


def _write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "issue.toml").write_text(text, encoding="utf-8")
    (folder / "stories").mkdir(exist_ok=True)
    return folder


def test_newsletter_from_digest_toml_above(tmp_path: Path):
    (tmp_path / "digest.toml").write_text(NEWSLETTER_TOML)
    folder = _write(tmp_path / "2025-01-01", "[issue]\ndate = 2025-01-01\n")
    config = load_issue_config(folder)
    assert config.newsletter.name == "Test Weekly"
    assert config.project_file == tmp_path / "digest.toml"


def test_issue_toml_overrides_project_keys(tmp_path: Path):
    (tmp_path / "digest.toml").write_text(NEWSLETTER_TOML)
    folder = _write(tmp_path / "w1", '[newsletter]\nname = "Special Edition"\n[issue]\ndate = 2025-01-01\n')
    config = load_issue_config(folder)
    assert config.newsletter.name == "Special Edition"
    assert config.newsletter.publication == "Test Press"


def test_every_error_reported_at_once(tmp_path: Path):
    folder = _write(
        tmp_path / "w",
        '[newsletter]\nname = "N"\nfrom = "not an address"\nbase_url = "ftp://x"\n'
        'timezone = "Mars/Olympus"\ncolour = "red"\n[issue]\ndate = "soon"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_issue_config(folder)
    message = str(caught.value)
    assert str(folder / "issue.toml") in message
    for expected in (
        "[newsletter] from:",
        "[newsletter] base_url: must be an absolute http(s) URL",
        "[newsletter] timezone: unknown IANA timezone 'Mars/Olympus'",
        "[newsletter] colour: unknown key",
        "[newsletter] publication: required key is missing",
        "[newsletter] postal_address: required key is missing",
        "[issue] date:",
    ):
        assert expected in message, expected


def test_bad_toml_syntax(tmp_path: Path):
    folder = _write(tmp_path / "w", "[issue\ndate = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_issue_config(folder)


def test_missing_issue_toml(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="file not found"):
        load_issue_config(tmp_path / "empty")


def test_from_with_newline_rejected(tmp_path: Path):
    toml = NEWSLETTER_TOML.replace(
        'from = "Test Weekly <weekly@test-press.example>"',
        'from = "Test Weekly <weekly@test-press.example>\\nBcc: x@y.example"',
    )
    folder = _write(tmp_path / "w", toml + "[issue]\ndate = 2025-01-01\n")
    with pytest.raises(ConfigError, match=r"\[newsletter\] from"):
        load_issue_config(folder)


@pytest.mark.parametrize(
    ("written", "display"),
    [
        ("Leser:innen <weekly@test-press.example>", "Leser:innen"),
        ('"Smith, Jones & Co" <weekly@test-press.example>', "Smith, Jones & Co"),
        ('Dr. A "B" <weekly@test-press.example>', 'Dr. A "B"'),
        ("Zoë’s Notes <weekly@test-press.example>", "Zoë’s Notes"),
    ],
)
def test_sender_display_names_with_specials_survive(tmp_path: Path, written: str, display: str):
    from email.utils import parseaddr

    toml = NEWSLETTER_TOML.replace('from = "Test Weekly <weekly@test-press.example>"', f"from = '{written}'")
    folder = _write(tmp_path / "w", toml + "[issue]\ndate = 2025-01-01\n")
    sender = load_issue_config(folder).newsletter.from_address
    assert parseaddr(sender) == (display, "weekly@test-press.example")

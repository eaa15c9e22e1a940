"""[store], [smtp], [dkim] and the secret: documented keys, environment overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.deliver.smtp_target import resolve_target
from digest.errors import ConfigError
from digest.settings import load_delivery_settings, load_issue_config
from digest.settings.tracking import TrackingSettings
from tests.conftest import NEWSLETTER_TOML

ISSUE = "[issue]\ndate = 2025-02-03\n"


def project(tmp_path: Path, digest_toml: str, issue_toml: str = ISSUE) -> Path:
    (tmp_path / "digest.toml").write_text(NEWSLETTER_TOML + digest_toml, encoding="utf-8")
    folder = tmp_path / "2025-02-03"
    (folder / "stories").mkdir(parents=True)
    (folder / "issue.toml").write_text(issue_toml, encoding="utf-8")
    return folder


def test_defaults_need_no_configuration(tmp_path: Path):
    delivery = load_issue_config(project(tmp_path, "")).delivery
    assert delivery.store_path == tmp_path / "digest.db"
    assert delivery.smtp.security == "starttls" and delivery.smtp.effective_port == 587
    assert delivery.smtp.concurrency == 4 and delivery.smtp.rate == 0
    assert delivery.dkim is None and delivery.secret_file is None
    assert delivery.unsubscribe_mailto == "weekly@test-press.example"


def test_every_key_is_read_and_paths_are_relative_to_their_file(tmp_path: Path):
    folder = project(
        tmp_path,
        '[store]\npath = "data/list.db"\n'
        '[smtp]\nhost = "smtp.test-press.example"\nport = 2525\nsecurity = "tls"\nusername = "mailer"\n'
        "concurrency = 8\nrate = 50\n"
        '[dkim]\nselector = "s1"\nkey_file = "keys/dkim.pem"\n',
        '[newsletter]\nsecret_file = "secret.txt"\nunsubscribe_mailto = "Leave <leave@test-press.example>"\n'
        "[smtp]\nrate = 10\n" + ISSUE,
    )
    delivery = load_issue_config(folder).delivery
    assert delivery.store_path == tmp_path / "data" / "list.db"
    assert delivery.dkim_key_file == tmp_path / "keys" / "dkim.pem"
    assert delivery.secret_file == folder / "secret.txt"
    assert delivery.unsubscribe_mailto == "leave@test-press.example"
    smtp = delivery.smtp
    assert (smtp.host, smtp.port, smtp.security, smtp.username, smtp.concurrency) == (
        "smtp.test-press.example", 2525, "tls", "mailer", 8,
    )  # fmt: skip
    assert smtp.rate == 10  # the issue's table overrides the project's key by key


def test_environment_overrides_host_and_port_and_holds_the_password(tmp_path: Path):
    smtp = load_issue_config(project(tmp_path, '[smtp]\nhost = "a.example"\nusername = "u"\n')).delivery.smtp
    target = resolve_target(smtp, {"DIGEST_SMTP_HOST": "b.example", "DIGEST_SMTP_PORT": "2526",
                                   "DIGEST_SMTP_PASSWORD": "hunter2hunter2"})  # fmt: skip
    assert (target.host, target.port, target.password) == ("b.example", 2526, "hunter2hunter2")
    assert "hunter2" not in repr(target)
    with pytest.raises(ConfigError, match="DIGEST_SMTP_PASSWORD"):
        resolve_target(smtp, {})
    with pytest.raises(ConfigError, match="DIGEST_SMTP_PORT: must be a port number"):
        resolve_target(smtp, {"DIGEST_SMTP_PORT": "smtp", "DIGEST_SMTP_PASSWORD": "x"})


def test_a_missing_host_is_one_line_naming_the_key(tmp_path: Path):
    smtp = load_issue_config(project(tmp_path, "")).delivery.smtp
    with pytest.raises(ConfigError) as caught:
        resolve_target(smtp, {})
    assert str(caught.value) == "[smtp] host is not set (nor DIGEST_SMTP_HOST): it is needed to send mail"


def test_invalid_values_name_the_file_and_the_key(tmp_path: Path):
    folder = project(
        tmp_path,
        '[smtp]\nsecurity = "ssl"\nconcurrency = 0\nport = 70000\nhots = "typo"\n'
        '[dkim]\nselector = "bad selector"\n[store]\npath = 3\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_issue_config(folder)
    message = str(caught.value)
    assert str(folder / "issue.toml") in message and str(tmp_path / "digest.toml") in message
    for expected in (
        "[smtp] security:",
        "[smtp] concurrency:",
        "[smtp] port:",
        "[smtp] hots: unknown key",
        "[dkim] selector:",
        "[dkim] key_file: required key is missing",
        "[store] path:",
    ):
        assert expected in message, expected


def test_commands_without_an_issue_folder_find_the_nearest_digest_toml(tmp_path: Path):
    project(tmp_path, '[store]\npath = "list.db"\n')
    below = tmp_path / "2025-02-03" / "stories"
    settings = load_delivery_settings(cwd=below)
    assert settings.delivery.store_path == tmp_path / "list.db"
    assert settings.newsletter.name == "Test Weekly"
    bare = load_delivery_settings(cwd=Path("/"))
    assert bare.delivery.store_path == Path("/digest.db") and bare.newsletter is None
    with pytest.raises(ConfigError, match="\\[smtp\\] security"):
        (tmp_path / "digest.toml").write_text('[smtp]\nsecurity = "ssl"\n')
        load_delivery_settings(cwd=tmp_path)


def test_every_delivery_setting_is_documented_in_the_readme():
    from digest.settings import DkimSettings, SmtpSettings, StoreSettings
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for table, model in (("store", StoreSettings), ("smtp", SmtpSettings), ("dkim", DkimSettings)):
        for key in model.model_fields:
            assert f"`[{table}] {key}`" in readme, f"[{table}] {key}"
    for key in ("secret_file", "unsubscribe_mailto"):
        assert f"`[newsletter] {key}`" in readme, key
    for variable in ("DIGEST_SECRET", "DIGEST_SMTP_PASSWORD", "DIGEST_SMTP_HOST", "DIGEST_SMTP_PORT"):
        assert variable in readme, variable


def test_tracking_is_off_by_default_and_read_from_digest_toml(tmp_path: Path):
    assert load_issue_config(project(tmp_path, "")).delivery.tracking == TrackingSettings()
    (tmp_path / "on").mkdir()
    folder = project(
        tmp_path / "on", '[tracking]\nclicks = true\nindividual = true\nbase_url = "https://go.example/"\n'
    )
    tracking = load_issue_config(folder).delivery.tracking
    assert (tracking.clicks, tracking.individual, tracking.opens) == (True, True, False)
    assert tracking.links_base("https://test-press.example/weekly") == "https://go.example"
    assert load_delivery_settings(tmp_path / "on" / "digest.toml").delivery.tracking == tracking


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('[tracking]\nburst_seconds = "soon"\n', "[tracking] burst_seconds"),
        ('[tracking]\nbase_url = "go.example"\n', "[tracking] base_url"),
        ("[tracking]\nclick = true\n", "[tracking] click"),
    ],
)
def test_a_bad_tracking_key_is_one_line_naming_the_key_and_file(tmp_path: Path, table: str, expected: str):
    folder = project(tmp_path, table)
    with pytest.raises(ConfigError) as caught:
        load_issue_config(folder)
    message = str(caught.value)
    assert expected in message and "digest.toml" in message and "Traceback" not in message

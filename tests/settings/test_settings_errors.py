"""Settings problems every command meets the same way: one line naming the file and what is wrong,
exit code 2, never a traceback, never a setting silently ignored (issue 18, items 10, 15, 16)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.errors import ConfigError
from digest.settings import load_issue_config
from tests.conftest import SAMPLES

TIDEWATER = SAMPLES / "tidewater"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(TIDEWATER, tmp_path / "tidewater")
    return tmp_path / "tidewater"


def _digest(project: Path, *args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env={"DIGEST_SECRET": ""})
    return result.exit_code, result.output


COMMANDS = [
    ("build", "{issue}", "--out", "{tmp}/out"),
    ("compose", "{issue}"),
    ("lint", "{issue}"),
    ("send", "{issue}", "--dry-run", "--out", "{tmp}/dry"),
    ("subscribers", "--config", "{config}", "count"),
    ("gather", "--config", "{config}"),
    ("run", "--config", "{config}", "--date", "2025-03-14"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_misspelt_table_stops_every_command(project: Path, tmp_path: Path, command: tuple[str, ...]):
    """`[dkimm]` was ignored by send, build and subscribers, so mail went out unsigned."""
    config = project / "digest.toml"
    config.write_text(config.read_text() + '\n[dkimm]\nselector = "news"\n', encoding="utf-8")
    values = {"issue": str(project / "2025-03-14"), "tmp": str(tmp_path), "config": str(config)}
    code, output = _digest(project, *(part.format(**values) for part in command))
    assert code == 2, output
    assert output.startswith(f"error: {config}: ")
    assert "unknown table [dkimm] (did you mean [dkim]?)" in output
    assert "Traceback" not in output


def test_a_misspelt_table_in_issue_toml_is_named_too(project: Path):
    issue = project / "2025-03-14" / "issue.toml"
    issue.write_text(issue.read_text() + "\n[compse]\nlimit = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_issue_config(issue.parent)
    assert "unknown table [compse] (did you mean [compose]?)" in caught.value.message
    assert caught.value.where == str(issue)


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("https://news.example/x>,<https://evil.example/steal", "must not contain"),
        ("https://news.example/x\r\nBcc: a@evil.example", "absolute http(s) URL"),
        ("https://news.example/a b", "absolute http(s) URL"),
        ("https://user:pass@news.example/", "user name or password"),
        ("https://news.example/?utm=1", "must not have a query"),
        ("https://news.example/#top", "must not have a fragment"),
        ('https://news.example/"onmouseover=', "must not contain"),
    ],
)
def test_base_url_is_only_a_base(project: Path, base_url: str, problem: str):
    config = project / "digest.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("base_url")
    line_end = text.index("\n", start)
    escaped = base_url.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
    config.write_text(f'{text[:start]}base_url = "{escaped}"{text[line_end:]}', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_issue_config(project / "2025-03-14")
    assert problem in caught.value.message
    assert "base_url" in caught.value.message


def test_a_base_url_with_a_path_is_fine(project: Path):
    config = project / "digest.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("base_url")
    line_end = text.index("\n", start)
    config.write_text(f'{text[:start]}base_url = "https://example.org/weekly/"{text[line_end:]}')
    assert load_issue_config(project / "2025-03-14").newsletter.base_url == "https://example.org/weekly"


def test_issue_toml_that_is_a_folder_is_one_line(project: Path, tmp_path: Path):
    issue = project / "2025-03-14" / "issue.toml"
    issue.unlink()
    issue.mkdir()
    code, output = _digest(project, "build", str(issue.parent), "--out", str(tmp_path / "out"))
    assert code == 2
    assert output.strip() == f"error: {issue}: is a folder, not a settings file"


def test_issue_toml_that_is_not_text_is_one_line(project: Path, tmp_path: Path):
    issue = project / "2025-03-14" / "issue.toml"
    issue.write_bytes(issue.read_bytes() + b"\xff\xfe")
    code, output = _digest(project, "build", str(issue.parent), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "not valid TOML: the file is not UTF-8 text" in output
    assert "Traceback" not in output


# --- one discovery rule (issue 12, item 18) ----------------------------------------------------------


@pytest.mark.parametrize("command", [["run", "--date", "2025-03-14"], ["approve", "2025-W11"]])
def test_commands_find_the_nearest_digest_toml_upwards(project: Path, monkeypatch, command: list[str]):
    """From inside an issue folder, `digest run` uses the project's digest.toml above it, as
    `subscribers` and `serve` always did (it used to look only in the current folder)."""
    monkeypatch.chdir(project / "2025-03-14")
    code, output = _digest(project, *command)
    # The sample's digest.toml has no [schedule]: finding it is what the error proves.
    assert code == 2
    assert f"{project / 'digest.toml'}: schedule: required key is missing" in output


def test_without_any_digest_toml_the_command_says_where_it_looked(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, output = _digest(tmp_path, "run")
    assert code == 2
    assert (
        output.strip() == f"error: {tmp_path}: no digest.toml here or in any folder above; give --config FILE"
    )


def test_errors_speak_plain_words_and_count_from_one(project: Path):
    """No pydantic wording ("Value error,", "Input should be…") and [[sources]] counted from 1."""
    config = project / "digest.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[gather]\nretries = -1\n\n[[sources]]\nfeed = "feeds/a.xml"\n\n[[sources]]\nfeed = "ftp://x.example/f"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_issue_config(project / "2025-03-14")
    message = caught.value.message
    assert "[gather] retries: must be at least 0 (got -1)" in message
    assert "[[sources]] #2 feed: must be an http(s) URL or a file path" in message
    assert "Value error" not in message and "Input should" not in message


@pytest.mark.parametrize(
    ("table", "typo", "expected"),
    [
        ("[compose]", "limt = 3", "[compose] limt: unknown key (did you mean limit?)"),
        ("[gather]", "retires = 1", "[gather] retires: unknown key (did you mean retries?)"),
        (
            "[stories.seagrass-returns]",
            'titel = "x"',
            "[stories.seagrass-returns] titel: unknown key (did you mean title?)",
        ),
    ],
)
def test_a_misspelt_key_names_the_closest_one(project: Path, table: str, typo: str, expected: str):
    issue = project / "2025-03-14" / "issue.toml"
    issue.write_text(issue.read_text(encoding="utf-8") + f"\n{table}\n{typo}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_issue_config(issue.parent)
    assert expected in caught.value.message

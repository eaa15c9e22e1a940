"""`digest subscribers import` refuses what it would otherwise guess at: one line naming the file
and the line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from digest.cli import main
from tests.store.faults import assert_one_error_line


def _import(tmp_path: Path, text: str):
    (tmp_path / "list.csv").write_text(text, encoding="utf-8")
    arguments = ["subscribers", "--db", str(tmp_path / "digest.db"), "import", str(tmp_path / "list.csv")]
    return CliRunner().invoke(main, arguments, catch_exceptions=False)


def test_two_email_columns_are_one_error_naming_the_header_line(tmp_path: Path):
    result = _import(tmp_path, "email,name,E-mail,Email\nana@example.com,Ana,,ana@example.org\n")
    assert_one_error_line(
        result,
        2,
        f"{tmp_path / 'list.csv'}: line 1: the header line names 'email' more than once",
        "['email', 'name', 'E-mail', 'Email']",
    )


def test_a_local_part_over_64_characters_is_refused_with_its_line(tmp_path: Path):
    result = _import(tmp_path, f"email\nana@example.com\n{'x' * 65}@example.com\n")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{tmp_path / 'list.csv'}: line 3: the part before the @ is 65 characters long, over RFC 5321's 64"
    )
    assert len(result.stderr.splitlines()) == 1
    assert "1 added" in result.stdout

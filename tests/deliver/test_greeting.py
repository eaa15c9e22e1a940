"""The greeting says the first name: "Hi Hiroshi," for Hiroshi Costa, or the CSV's first_name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.words import greeting_name
from tests.conftest import TEST_SECRET
from tests.smtp_server import SmtpTestServer


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Hiroshi Costa", "Hiroshi"),
        ("  Hiroshi   Costa ", "Hiroshi"),
        ("Costa, Hiroshi", "Hiroshi"),
        ("Costa, Hiroshi Kenji", "Hiroshi"),
        ("Costa,", "Costa"),
        ("Cher", "Cher"),
        ("", ""),
        ("山田太郎", "山田太郎"),
        ("山田 太郎", "山田 太郎"),
        ("김민준", "김민준"),
    ],
)
def test_the_first_name_of_a_name(name: str, expected: str):
    assert greeting_name(name) == expected


def _greeting(message) -> tuple[str, str]:
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    return html, text


def test_a_real_send_greets_by_first_name_or_the_override(send_project: Path, tmp_path: Path):
    os.chdir(send_project.parent)  # where digest.toml is: `subscribers` uses its [store]
    (tmp_path / "list.csv").write_text(
        "email,name,first_name\n"
        "hiroshi@example.com,Hiroshi Costa,\n"
        "hiro@example.com,Hiroshi Costa,Hiro\n"
        'costa@example.com,"Costa, Hiroshi",\n'
        "nobody@example.com,,\n"
        "mal@example.com,<b>Mal</b> Icious,\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    imported = runner.invoke(main, ["subscribers", "import", str(tmp_path / "list.csv")])
    assert imported.exit_code == 0, imported.output
    with SmtpTestServer() as server:
        sent = runner.invoke(main, ["send", str(send_project)], env=server.environ(DIGEST_SECRET=TEST_SECRET))
    assert sent.exit_code == 0, sent.output
    messages = {r.rcpt_tos[0]: r.message() for r in server.received}
    assert len(messages) == 5

    for address, expected in (
        ("hiroshi@example.com", "Hi Hiroshi,"),
        ("hiro@example.com", "Hi Hiro,"),
        ("costa@example.com", "Hi Hiroshi,"),
    ):
        html, text = _greeting(messages[address])
        assert expected in html and expected in text, address
        assert "Hi Hiroshi Costa," not in html
    # The To header keeps the whole name: only the greeting is short.
    assert messages["hiro@example.com"]["To"].addresses[0].display_name == "Hiroshi Costa"
    html, text = _greeting(messages["nobody@example.com"])
    assert "Hi " not in text and 'class="greeting' not in html  # the template's no-name greeting: none
    html, text = _greeting(messages["mal@example.com"])
    assert "Hi &lt;b&gt;Mal&lt;/b&gt;," in html and "<b>Mal" not in html
    assert "Hi <b>Mal</b>," in text


def test_first_name_is_stored_and_exported(send_project: Path, tmp_path: Path):
    os.chdir(send_project.parent)
    (tmp_path / "list.csv").write_text(
        'email,name,first_name\nhiro@example.com,Hiroshi Costa,"Hi\r\nro"\n', encoding="utf-8"
    )
    runner = CliRunner()
    assert runner.invoke(main, ["subscribers", "import", str(tmp_path / "list.csv")]).exit_code == 0
    exported = runner.invoke(main, ["subscribers", "export"]).stdout.splitlines()
    assert exported[0].startswith("email,name,first_name,status")
    assert exported[1].startswith("hiro@example.com,Hiroshi Costa,Hi ro,active")  # one line, as names are
    # Exported, imported again: the same first name.
    (tmp_path / "again.csv").write_text("\n".join(exported) + "\n", encoding="utf-8")
    assert runner.invoke(main, ["subscribers", "import", str(tmp_path / "again.csv")]).exit_code == 0
    assert runner.invoke(main, ["subscribers", "export"]).stdout.splitlines() == exported

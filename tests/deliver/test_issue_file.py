"""issue.eml is encoded without EmailMessage: the same message as `build_message`, the same bytes on
every rebuild of the same issue."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.deliver.issue_file import issue_file_bytes
from digest.deliver.message import build_message
from digest.pipeline import build_issue, render_folder
from tests.conftest import SAMPLE_WEEKS
from tests.deliver.test_splice import assert_same_message, assert_wire_limits, parse
from tests.lint.test_size_budget import full_issue


@pytest.mark.parametrize("week", sorted(SAMPLE_WEEKS))
def test_issue_eml_parses_like_the_email_package(week: str):
    rendered, _ = render_folder(SAMPLE_WEEKS[week])
    data = issue_file_bytes(rendered)
    assert_same_message(parse(data), parse(build_message(rendered).as_bytes()))
    assert_wire_limits(data)


def test_a_reply_to_and_a_full_issue_parse_alike(tmp_path: Path):
    folder = full_issue(tmp_path / "full")
    toml = folder / "issue.toml"
    toml.write_text(
        toml.read_text().replace(
            'lang = "en-GB"', 'lang = "en-GB"\nreply_to = "Desk <desk@tidewater-press.example>"'
        )
    )
    built = build_issue(folder, tmp_path / "out")
    data = built.files["eml"].read_bytes()
    assert parse(data)["Reply-To"].addresses[0].addr_spec == "desk@tidewater-press.example"
    assert_same_message(parse(data), parse(build_message(built.rendered).as_bytes()))


def test_rebuilding_writes_the_same_issue_eml(tmp_path: Path):
    """The archive's copy of a sent issue is rewritten only where it differs: a rebuild must not
    differ by a random MIME boundary alone."""
    copies = []
    for n in range(2):
        out = tmp_path / f"out{n}"
        result = CliRunner().invoke(main, ["build", str(SAMPLE_WEEKS["meridian"]), "--out", str(out)])
        assert result.exit_code == 0, result.output
        copies.append((out / "issue.eml").read_bytes())
    assert copies[0] == copies[1]

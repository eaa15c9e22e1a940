"""The README's crontab line and systemd units work as written: systemd accepts them, and the
commands they run do the job against a real project."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.schedule_fixtures import tidewater_project, weekday_in

README = (ROOT / "README.md").read_text(encoding="utf-8")
UNITS = ROOT / "deploy" / "systemd"
INSTALL_DIR = "/srv/digest"


def _fenced_after(heading: str) -> str:
    """The first fenced block after a line naming a file, e.g. '`/etc/systemd/system/x.timer`'."""
    match = re.search(re.escape(heading) + r"\n```\w*\n(.*?)```", README, re.DOTALL)
    assert match, f"README has no code block under {heading}"
    return match.group(1)


@pytest.mark.parametrize("unit", ["digest-run.service", "digest-run.timer"])
def test_readme_shows_the_shipped_unit_files(unit):
    assert _fenced_after(f"`/etc/systemd/system/{unit}`") == (UNITS / unit).read_text(encoding="utf-8")


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """A stand-in for /srv/digest: this checkout's digest on the path the units name, and a project."""
    root = tmp_path / "srv-digest"
    # Three days ahead, so that whenever the tests run nothing is due and nothing is within grace.
    tidewater_project(root, weekday=weekday_in(3))
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "digest").symlink_to(Path(sys.executable).parent / "digest")
    return root


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.fail("systemd-analyze is missing: install Debian's systemd package (.ci/run does)")
    return found


def test_systemd_accepts_the_units(installed: Path, tmp_path: Path):
    units = tmp_path / "units"
    units.mkdir()
    for unit in UNITS.iterdir():
        (units / unit.name).write_text(unit.read_text(encoding="utf-8").replace(INSTALL_DIR, str(installed)))
    checked = subprocess.run(
        [_systemd_analyze(), "verify", *sorted(str(p) for p in units.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == ""


def test_the_timer_fires_every_ten_minutes():
    timer = (UNITS / "digest-run.timer").read_text(encoding="utf-8")
    spec = re.search(r"^OnCalendar=(.+)$", timer, re.MULTILINE).group(1)
    shown = subprocess.run(
        [_systemd_analyze(), "calendar", spec], capture_output=True, text=True, timeout=30, check=True
    )
    assert "Normalized form: *-*-* *:00/10:00" in shown.stdout


def _run(command: str, installed: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", command.replace(INSTALL_DIR, str(installed))],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_service_command_runs(installed: Path):
    service = (UNITS / "digest-run.service").read_text(encoding="utf-8")
    command = re.search(r"^ExecStart=(.+)$", service, re.MULTILINE).group(1)
    assert shlex.split(command)[1:] == ["run", "--config", f"{INSTALL_DIR}/digest.toml", "--if-due"]
    done = _run(command, installed)
    # Nothing is due: the command says when it next is.
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        r"\d{4}-W\d\d: not due until \w{3} \d{4}-\d\d-\d\d 07:00 \w+ \(0[67]:00 UTC\)\n", done.stdout
    )


def test_the_crontab_line_runs(installed: Path):
    [line] = re.search(r"```crontab\n(.*?)```", README, re.DOTALL).group(1).splitlines()
    fields = line.split(maxsplit=5)
    assert fields[:5] == ["*/10", "*", "*", "*", "*"]
    assert "%" not in fields[5]  # cron would turn it into a newline
    done = _run(fields[5], installed)
    assert done.returncode == 0, done.stderr
    log = (installed / "digest.log").read_text(encoding="utf-8")
    assert re.fullmatch(r"\d{4}-W\d\d: not due until \w{3} .*\n", log)

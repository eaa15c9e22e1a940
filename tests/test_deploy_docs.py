"""The README's crontab line and systemd units work as written: systemd accepts the units, and the
commands they run, with the environment file they read, send a due week to a real SMTP server
(aiosmtpd on 127.0.0.1) once, and do nothing when the week is not due."""

from __future__ import annotations

import datetime as dt
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.weekly import WEEKDAYS
from tests.conftest import ROOT, TEST_SECRET
from tests.schedule_fixtures import TIDEWATER_ZONE, move_issue_to, subscribe, tidewater_project, weekday_in
from tests.smtp_server import SmtpTestServer

README = (ROOT / "README.md").read_text(encoding="utf-8")
UNITS = ROOT / "deploy" / "systemd"
INSTALL_DIR = "/srv/digest"


def _fenced_after(heading: str) -> str:
    """The first fenced block after a line naming a file, e.g. '`/etc/systemd/system/x.timer`'."""
    match = re.search(re.escape(heading) + r"\n```\w*\n(.*?)```", README, re.DOTALL)
    assert match, f"README has no code block under {heading}"
    return match.group(1)


def _crontab_line() -> str:
    [line] = re.search(r"```crontab\n(.*?)```", README, re.DOTALL).group(1).splitlines()
    return line


def _exec_start(unit: str) -> str:
    return re.search(r"^ExecStart=(.+)$", (UNITS / unit).read_text(encoding="utf-8"), re.MULTILINE).group(1)


@pytest.mark.parametrize("unit", ["digest-run.service", "digest-run.timer", "digest-send@.service"])
def test_readme_shows_the_shipped_unit_files(unit):
    assert _fenced_after(f"`/etc/systemd/system/{unit}`") == (UNITS / unit).read_text(encoding="utf-8")


@pytest.fixture
def server():
    with SmtpTestServer() as running:
        yield running


def _install(root: Path, server: SmtpTestServer, *, due: bool) -> Path:
    """A stand-in for /srv/digest: this checkout's digest where the units look for it, a project,
    two subscribers, and digest.env naming the test SMTP server."""
    if due:
        # The scheduled time was five minutes ago: --if-due builds and sends today's issue.
        slot = dt.datetime.now(ZoneInfo(TIDEWATER_ZONE)) - dt.timedelta(minutes=5)
        config = tidewater_project(root, weekday=WEEKDAYS[slot.weekday()], time=f"{slot:%H:%M}")
        move_issue_to(config, slot.date())
    else:
        # Three days ahead: whenever the tests run, nothing is due and nothing is within grace.
        tidewater_project(root, weekday=weekday_in(3))
    subscribe(root / "digest.toml", 2)
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "digest").symlink_to(Path(sys.executable).parent / "digest")
    environment = {"DIGEST_SECRET": TEST_SECRET, **server.environ()}
    (root / "digest.env").write_text("".join(f"{k}={v}\n" for k, v in environment.items()))
    (root / "digest.env").chmod(0o600)
    return root


def _sh(command: str, installed: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", command.replace(INSTALL_DIR, str(installed))],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **(env or {})},  # cron's and systemd's spare environment
    )


def _env_file(installed: Path) -> dict[str, str]:
    """What systemd's EnvironmentFile= makes of digest.env."""
    lines = (installed / "digest.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line)


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.fail("systemd-analyze is missing: install Debian's systemd package (tests/install-tools does)")
    return found


def test_systemd_accepts_the_units(tmp_path: Path, server: SmtpTestServer):
    installed = _install(tmp_path / "srv-digest", server, due=False)
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


def test_the_service_sends_a_due_week_once(tmp_path: Path, server: SmtpTestServer):
    installed = _install(tmp_path / "srv-digest", server, due=True)
    command = _exec_start("digest-run.service")
    assert shlex.split(command)[1:] == ["run", "--config", f"{INSTALL_DIR}/digest.toml", "--if-due", "--send"]
    first = _sh(command, installed, _env_file(installed))
    assert first.returncode == 0, first.stderr
    assert "; sent to 2 subscribers (0 failed, 0 uncertain" in first.stdout
    again = _sh(command, installed, _env_file(installed))  # ten minutes later, the timer fires again
    assert again.returncode == 0, again.stderr
    assert "already sent" in again.stdout
    assert sorted(server.copies.values()) == [1, 1]


def test_the_service_does_nothing_when_not_due(tmp_path: Path, server: SmtpTestServer):
    installed = _install(tmp_path / "srv-digest", server, due=False)
    done = _sh(_exec_start("digest-run.service"), installed, _env_file(installed))
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        r"\d{4}-W\d\d: not due until \w{3} \d{4}-\d\d-\d\d 07:00 \w+ \(0[67]:00 UTC\)\n", done.stdout
    )
    assert server.received == []


def test_the_crontab_line_sends_a_due_week_once(tmp_path: Path, server: SmtpTestServer):
    installed = _install(tmp_path / "srv-digest", server, due=True)
    fields = _crontab_line().split(maxsplit=5)
    assert fields[:5] == ["*/10", "*", "*", "*", "*"]
    assert "%" not in fields[5]  # cron would turn it into a newline
    for _ in range(2):  # the line fires twice within grace: the week goes out once
        done = _sh(fields[5], installed)  # cron passes no secrets: the line reads digest.env
        assert done.returncode == 0, done.stderr
    log = (installed / "digest.log").read_text(encoding="utf-8")
    assert "; sent to 2 subscribers (0 failed, 0 uncertain" in log
    assert "already sent" in log.splitlines()[-1]
    assert sorted(server.copies.values()) == [1, 1]

"""The editors' notices go out through delivery's pool: a 4xx is retried as for an issue, a refused
address is reported, a server that cannot be used at all raises, and one that is down is reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digest.deliver.smtp import SmtpError
from digest.runs.notices import ThinWeek, send_to_editors, thin_week_message
from digest.settings import ProjectConfig, load_project_config
from tests.schedule_fixtures import EDITOR, TIDEWATER_DATE, tidewater_project
from tests.smtp_server import Faults, SmtpTestServer, free_port

DESK = "desk@tidewater-press.example"
EDITORS = (f"Desk <{DESK}>", EDITOR)


@pytest.fixture
def project(tmp_path: Path) -> ProjectConfig:
    return load_project_config(tidewater_project(tmp_path / "tidewater", editors=EDITORS))


def _notify(project: ProjectConfig, environ: dict[str, str]) -> list[str]:
    week = ThinWeek("2025-W11", TIDEWATER_DATE, 2, 3, "2025-03-14")
    message = thin_week_message(project.newsletter, EDITORS, week)
    assert project.delivery is not None
    return send_to_editors(message, EDITORS, project.delivery, environ=environ)


def test_a_deferred_notice_is_retried_like_an_issue(project):
    with SmtpTestServer(Faults(defer_first={DESK: "451 4.3.0 try again later"})) as server:
        assert _notify(project, server.environ()) == []
        assert server.copies == {DESK: 1, EDITOR: 1}
        assert server.handler.deferred[DESK] == 1
        notice = server.received[0].message()
        assert notice["From"] == "The Tidewater Weekly <weekly@tidewater-press.example>"
        assert dt.datetime.now(dt.UTC) - notice["Date"].datetime < dt.timedelta(minutes=1)


def test_a_refused_editor_is_reported_and_the_others_are_told(project):
    with SmtpTestServer(Faults(refuse={DESK: "550 5.1.1 no such user"})) as server:
        assert _notify(project, server.environ()) == [f"{DESK}: 550 5.1.1 no such user"]
        assert server.copies == {EDITOR: 1}


def test_a_server_that_refuses_the_sender_raises(project):
    with (
        SmtpTestServer(Faults(refuse_sender="550 5.7.1 sender not allowed")) as server,
        pytest.raises(SmtpError, match="refused the sender"),
    ):
        _notify(project, server.environ())


def test_a_server_that_is_down_leaves_every_editor_untold(project):
    down = {"DIGEST_SMTP_HOST": "127.0.0.1", "DIGEST_SMTP_PORT": str(free_port())}
    failures = _notify(project, down)
    assert [line.split(": ")[0] for line in failures] == [DESK, EDITOR]
    assert all("cannot reach 127.0.0.1" in line for line in failures)

"""A real project for unattended runs: the Tidewater sample (digest.toml + one dated issue folder)
with a [schedule] section, copied where a test wants it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

from digest.weekly import WEEKDAYS
from tests.conftest import SAMPLES

TIDEWATER_DATE = dt.date(2025, 3, 14)  # a Friday; the sample issue's date
TIDEWATER_ZONE = "Europe/London"


EDITOR = "editors@tidewater-press.example"
DELIVERY = """
[store]
path = "digest.db"

[smtp]
security = "none"
retry_delay = 0.05
timeout = 10
"""
"""Where subscribers, the send log and the run history live, and an SMTP server without TLS (the
tests' aiosmtpd on 127.0.0.1, named by DIGEST_SMTP_HOST/PORT in the environment)."""


def schedule_toml(
    *,
    weekday: str = "friday",
    time: str = "07:00",
    min_stories: int = 3,
    grace: str = "6h",
    editors: tuple[str, ...] = (EDITOR,),
    require_approval: bool = False,
    approval_deadline: str | None = None,
    extra: str = "",
) -> str:
    quoted = ", ".join(f'"{e}"' for e in editors)
    approval = f"require_approval = {str(require_approval).lower()}\n"
    if approval_deadline:
        approval += f'approval_deadline = "{approval_deadline}"\n'
    return (
        f'\n[schedule]\nweekday = "{weekday}"\ntime = "{time}"\ntimezone = "{TIDEWATER_ZONE}"\n'
        f'grace = "{grace}"\nmin_stories = {min_stories}\neditors = [{quoted}]\n{approval}{DELIVERY}{extra}'
    )


def tidewater_project(root: Path, **schedule: object) -> Path:
    """Copy the sample to ``root`` (once) and (re)write its digest.toml; returns the config path."""
    if not root.exists():
        shutil.copytree(SAMPLES / "tidewater", root)
    config = root / "digest.toml"
    original = (SAMPLES / "tidewater" / "digest.toml").read_text(encoding="utf-8")
    config.write_text(original + schedule_toml(**schedule), encoding="utf-8")  # type: ignore[arg-type]
    return config


def weekday_in(days: int) -> str:
    """The weekday ``days`` from now in the sample's zone: a schedule never due while a test runs."""
    return WEEKDAYS[(dt.datetime.now(ZoneInfo(TIDEWATER_ZONE)) + dt.timedelta(days=days)).weekday()]


def move_issue_to(config: Path, day: dt.date) -> Path:
    """Make the sample's issue folder the issue of another date."""
    folder = config.parent / day.isoformat()
    shutil.move(config.parent / TIDEWATER_DATE.isoformat(), folder)
    toml = folder / "issue.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(TIDEWATER_DATE.isoformat(), day.isoformat()))
    return folder


FEEDS = Path(__file__).resolve().parent / "fixtures" / "feeds"
MERIDIAN_DATE = dt.date(2025, 1, 8)  # a Wednesday; the Meridian World feed's week ends here
MERIDIAN_PROJECT = """\
[newsletter]
name = "Meridian Daily"
publication = "Meridian Media"
from = "Meridian Daily <daily@meridian-media.example>"
base_url = "https://newsletters.meridian-media.example/daily"
postal_address = "Meridian Media, 120 Harbor Street, Suite 400, New York, NY 10004, USA"
timezone = "America/New_York"

[[sources]]
feed = "{feed}"
name = "Meridian World"
sponsored_if_match = "^Sponsored:"
sponsor = "Northwind Bank"
{more_sources}
[schedule]
weekday = "wednesday"
time = "06:30"
min_stories = {min_stories}
editors = ["Desk <desk@meridian-media.example>"]
{extra}"""


def meridian_feed_project(
    root: Path, *, min_stories: int = 3, more_sources: str = "", extra: str = ""
) -> Path:
    """A project with no issue folders: its weeks are gathered from a copy of the Meridian World feed."""
    root.mkdir(parents=True, exist_ok=True)
    feed = root / "feeds" / "meridian-world.rss"
    feed.parent.mkdir(exist_ok=True)
    shutil.copyfile(FEEDS / "meridian-world.rss", feed)
    config = root / "digest.toml"
    config.write_text(
        MERIDIAN_PROJECT.format(
            feed="feeds/meridian-world.rss", more_sources=more_sources, min_stories=min_stories, extra=extra
        ),
        encoding="utf-8",
    )
    return config


def subscribe(config: Path, count: int) -> list[str]:
    """Put ``count`` readers on the project's list; returns their addresses."""
    from digest.settings import load_project_config
    from digest.store import open_store
    from digest.store.subscribers import add_subscriber

    store = open_store(load_project_config(config).delivery.store_path)
    try:
        addresses = [f"reader{n:03d}@example.com" for n in range(count)]
        for address in addresses:
            add_subscriber(store, address, name=f"Reader {address[6:9]}")
        return addresses
    finally:
        store.close()

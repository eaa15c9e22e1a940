from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples on every run (HYPOTHESIS_PROFILE=ci), so a landing is never decided
# by a lucky draw; local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_issues"
SAMPLE_WEEKS = {
    "meridian": SAMPLES / "meridian-2025-01-08",
    "tidewater": SAMPLES / "tidewater" / "2025-03-14",
}

NEWSLETTER_TOML = """\
[newsletter]
name = "Test Weekly"
publication = "Test Press"
from = "Test Weekly <weekly@test-press.example>"
base_url = "https://test-press.example"
postal_address = "1 Test Street, Testville"
"""


@pytest.fixture(params=sorted(SAMPLE_WEEKS))
def sample_week(request) -> Path:
    return SAMPLE_WEEKS[request.param]


def write_story(folder: Path, story_id: str, front_matter: str, body: str = "A summary.") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{story_id}.md"
    path.write_text(f"---\n{textwrap.dedent(front_matter).strip()}\n---\n{body}\n", encoding="utf-8")
    return path


@pytest.fixture
def issue_dir(tmp_path: Path) -> Path:
    """A small, valid issue folder tests can add hostile stories to."""
    folder = tmp_path / "issue"
    folder.mkdir()
    (folder / "issue.toml").write_text(NEWSLETTER_TOML + "\n[issue]\ndate = 2025-02-03\n", encoding="utf-8")
    stories = folder / "stories"
    write_story(
        stories,
        "lead-story",
        """
        title: "A perfectly ordinary lead"
        url: "https://test-press.example/lead"
        priority: 5
        image: "https://test-press.example/lead.jpg"
        image_alt: "A harbour at dawn"
        """,
    )
    write_story(
        stories,
        "second",
        """
        title: "Second story"
        url: "https://test-press.example/second"
        """,
    )
    return folder


@pytest.fixture
def sample_copy(tmp_path: Path):
    def copy(name: str) -> Path:
        source = SAMPLE_WEEKS[name]
        # Copy the parent too when it holds the project's digest.toml.
        if (source.parent / "digest.toml").is_file() and source.parent != SAMPLES:
            target = tmp_path / source.parent.name
            shutil.copytree(source.parent, target)
            return target / source.name
        target = tmp_path / source.name
        shutil.copytree(source, target)
        return target

    return copy


# --- delivery (issue #7) ---------------------------------------------------------------------------

TEST_SECRET = "test-secret-0123456789abcdef"
DELIVERY_TOML = """\
[store]
path = "subscribers.db"

[smtp]
security = "none"
concurrency = 2
retry_delay = 0.05
timeout = 10
"""


@pytest.fixture
def send_project(sample_copy, tmp_path: Path) -> Path:
    """The Meridian sample week in a project whose digest.toml sets [store] and [smtp]."""
    folder = sample_copy("meridian")
    (tmp_path / "digest.toml").write_text(DELIVERY_TOML, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium for the whole test session (Playwright's sync API allows only
    one instance per thread, so the render judges and the preview tests share this one)."""
    from tests.judges.browser import chromium

    with chromium() as instance:
        yield instance


def replace_everywhere(monkeypatch: pytest.MonkeyPatch, original: object, replacement: object) -> None:
    """Put `replacement` wherever a digest module refers to `original`, e.g. to count a function's
    calls through every path that reaches it."""
    import sys

    for module in list(sys.modules.values()):
        if module is None or not getattr(module, "__name__", "").startswith("digest"):
            continue
        for name, value in list(vars(module).items()):
            if value is original:
                monkeypatch.setattr(module, name, replacement)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL for the session (tests/postgres_server.py). Absent binaries skip the
    PostgreSQL half of the store tests on a laptop; in CI (CI=true) they are a failure."""
    from tests.postgres_server import binaries, postgres_server

    if binaries() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed: run tests/install-tools")
        pytest.skip("PostgreSQL is not installed (tests/install-tools installs Debian's postgresql)")
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at(request, tmp_path: Path):
    """Where a test's store lives, on each backend: a name gives a SQLite file in tmp_path, or a
    fresh migrated PostgreSQL database (the same one each time the test asks for that name)."""
    if request.param == "sqlite":
        yield lambda name="digest.db": tmp_path / name
        return
    server = request.getfixturevalue("postgres")
    databases: dict[str, str] = {}

    def where(name: str = "digest.db") -> str:
        if name not in databases:
            databases[name] = server.new_database()
        return databases[name]

    yield where
    for url in databases.values():
        server.drop(url)

"""A feed whose pictures are http:// cannot stop the week: gather drops them with one warning naming
the source, or shows them through [render] image_base; `digest build` and `digest lint` then pass."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import NEWSLETTER_TOML
from tests.feed_server import FeedServer
from tests.gather.test_gather_cli import digest

LEAD_IMAGE = "http://cdn.meridian-media.example/2025/01/kremlin-recruits-1280.jpg"
PROXY = "https://images.test-press.example/proxy?url="


def project_reading(feed_url: str, folder: Path, render: str = "") -> Path:
    """A project of one feed over loopback HTTP, and its issue of 8 January."""
    (folder / "digest.toml").write_text(
        NEWSLETTER_TOML
        + 'timezone = "America/New_York"\n'
        + f'\n[[sources]]\nfeed = "{feed_url}"\nname = "Meridian World"\n'
        + 'sponsored_if_category = "Sponsored"\n'
        + render,
        encoding="utf-8",
    )
    issue = folder / "2025-01-08"
    issue.mkdir()
    (issue / "issue.toml").write_text("[issue]\ndate = 2025-01-08\n", encoding="utf-8")
    return folder


def image_sources(html: str) -> list[str]:
    return re.findall(r'<img[^>]*\ssrc="([^"]*)"', html)


@pytest.fixture
def project(server: FeedServer, tmp_path: Path) -> Path:
    return project_reading(server.url("/http-images.rss"), tmp_path)


def test_build_drops_insecure_images_with_one_warning_naming_the_source(project: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = digest("build", "2025-01-08", "--out", str(out), cwd=project)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "http://" in line]
    assert len(warnings) == 1, result.stderr  # once for the source, not once per image
    assert warnings[0].startswith("warning: Meridian World: dropped 4 images served over http://")
    html = (out / "index.html").read_text(encoding="utf-8")
    assert not [src for src in image_sources(html) if not src.startswith("https://")]
    assert "kremlin-recruits-1280" not in html


def test_lint_of_the_week_passes(project: Path):
    result = digest("lint", "2025-01-08", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "img-not-https" not in result.stdout
    assert "warning: Meridian World: dropped 4 images served over http://" in result.stderr


def test_image_base_shows_them_through_the_proxy(server: FeedServer, tmp_path: Path):
    project = project_reading(
        server.url("/http-images.rss"), tmp_path, render=f'\n[render]\nimage_base = "{PROXY}"\n'
    )
    out = tmp_path / "out"
    result = digest("build", "2025-01-08", "--out", str(out), cwd=project)
    assert result.returncode == 0, result.stderr
    assert "http://" not in result.stderr
    sources = image_sources((out / "index.html").read_text(encoding="utf-8"))
    assert PROXY + quote(LEAD_IMAGE, safe="") in sources
    assert all(src.startswith("https://") for src in sources)
    assert digest("lint", "2025-01-08", cwd=project).returncode == 0


def test_image_base_as_a_template(server: FeedServer, tmp_path: Path):
    template = "https://img.test-press.example/{url}?w=600"
    project = project_reading(
        server.url("/http-images.rss"), tmp_path, render=f'\n[render]\nimage_base = "{template}"\n'
    )
    out = tmp_path / "out"
    assert digest("build", "2025-01-08", "--out", str(out), cwd=project).returncode == 0
    sources = image_sources((out / "index.html").read_text(encoding="utf-8"))
    assert f"https://img.test-press.example/{quote(LEAD_IMAGE, safe='')}?w=600" in sources


def test_an_image_base_that_is_not_https_is_a_config_error(server: FeedServer, tmp_path: Path):
    project = project_reading(
        server.url("/http-images.rss"),
        tmp_path,
        render='\n[render]\nimage_base = "http://proxy.example/?u="\n',
    )
    result = digest("build", "2025-01-08", "--out", str(tmp_path / "out"), cwd=project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "[render] image_base: must be an https:// URL" in result.stderr

"""`[gather] teaser_length` is the project's teaser length: every source without its own takes it
(issue 12, item 11: the key used to change nothing)."""

from __future__ import annotations

from pathlib import Path

from digest.settings import load_gather_config

PROJECT = """\
[newsletter]
name = "Teasers"
publication = "Teasers Weekly"
from = "Teasers <news@teasers.example>"
base_url = "https://teasers.example"
postal_address = "1 Main Street, Springfield, 12345, USA"

[gather]
teaser_length = 90

[[sources]]
feed = "feeds/a.xml"

[[sources]]
feed = "feeds/b.xml"
teaser_length = 300
"""


def test_sources_take_the_project_teaser_length_unless_they_set_their_own(tmp_path: Path):
    (tmp_path / "digest.toml").write_text(PROJECT, encoding="utf-8")
    first, second = load_gather_config(tmp_path / "digest.toml").sources
    assert first.rules.teaser_length == 90
    assert second.rules.teaser_length == 300

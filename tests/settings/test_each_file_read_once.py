"""Each settings file is read once per load, and a run's project file is not read again for its week.

Reads are counted per path by wrapping `read_toml`, the one function that reads a settings file,
wherever a digest module refers to it."""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import digest.settings
from digest.settings import load_delivery_settings, load_gather_config, load_issue_config, load_project_config
from tests.conftest import NEWSLETTER_TOML, ROOT, replace_everywhere

SCHEDULE = '[schedule]\neditors = ["desk@test-press.example"]\n'
ISSUE = "[issue]\ndate = 2025-03-14\n"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[Path]]:
    """Settings-file reads, by path."""
    counted: Counter[Path] = Counter()
    original = digest.settings.read_toml

    def read_toml(path: Path) -> dict[str, Any]:
        counted[Path(path).resolve()] += 1
        return original(path)

    replace_everywhere(monkeypatch, original, read_toml)
    yield counted


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A digest.toml with an issue folder below it."""
    (tmp_path / "digest.toml").write_text(NEWSLETTER_TOML + SCHEDULE, encoding="utf-8")
    week = tmp_path / "2025-03-14"
    week.mkdir()
    (week / "issue.toml").write_text(ISSUE, encoding="utf-8")
    return tmp_path


def test_a_project_is_read_once(project: Path, reads: Counter[Path]):
    load_project_config(project / "digest.toml")
    assert reads == {project / "digest.toml": 1}


def test_an_issue_reads_its_file_and_the_project_above_once_each(project: Path, reads: Counter[Path]):
    load_issue_config(project / "2025-03-14")
    assert reads == {project / "2025-03-14" / "issue.toml": 1, project / "digest.toml": 1}


def test_an_issue_below_a_loaded_project_does_not_read_it_again(project: Path, reads: Counter[Path]):
    loaded = load_project_config(project / "digest.toml")
    config = load_issue_config(project / "2025-03-14", project=loaded)
    assert reads == {project / "digest.toml": 1, project / "2025-03-14" / "issue.toml": 1}
    assert config.project_file == loaded.path
    assert config.newsletter == loaded.newsletter


def test_a_project_elsewhere_is_not_taken_for_the_one_above(
    project: Path, tmp_path: Path, reads: Counter[Path]
):
    other = tmp_path / "other"
    other.mkdir()
    (other / "digest.toml").write_text(NEWSLETTER_TOML.replace("Test Weekly", "Other") + SCHEDULE)
    config = load_issue_config(project / "2025-03-14", project=load_project_config(other / "digest.toml"))
    assert config.newsletter.name == "Test Weekly"  # the digest.toml above the folder, read for it
    assert reads[project / "digest.toml"] == 1


@pytest.mark.parametrize("given", ["folder", "issue.toml", "digest.toml", "cwd"])
def test_gather_reads_each_file_once(project: Path, reads: Counter[Path], given: str):
    week = project / "2025-03-14"
    paths = {"folder": week, "issue.toml": week / "issue.toml", "digest.toml": project / "digest.toml"}
    if given == "cwd":
        load_gather_config(cwd=week)
    else:
        load_gather_config(paths[given])
    assert reads and max(reads.values()) == 1, reads


@pytest.mark.parametrize("given", ["issue.toml", "digest.toml", "cwd"])
def test_delivery_reads_each_file_once(project: Path, reads: Counter[Path], given: str):
    if given == "cwd":
        load_delivery_settings(cwd=project / "2025-03-14")
    else:
        load_delivery_settings(
            project / "2025-03-14" / "issue.toml" if given == "issue.toml" else project / "digest.toml"
        )
    assert reads and max(reads.values()) == 1, reads


def test_every_toml_read_in_the_package_goes_through_read_toml():
    """Only files.py parses TOML files (editor_choices checks its own output text with tomllib.loads)."""
    readers = set()
    for path in sorted((ROOT / "digest" / "settings").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "load"
                and getattr(node.value, "id", "") == "tomllib"
            ):
                readers.add(path.name)
    assert readers == {"files.py"}
    assert digest.settings.read_toml is digest.settings.files.read_toml

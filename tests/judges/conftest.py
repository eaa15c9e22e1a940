from __future__ import annotations

from pathlib import Path

import pytest

from digest.pipeline import BuildResult, build_issue
from tests.conftest import SAMPLE_WEEKS


@pytest.fixture(scope="session")
def built_weeks(tmp_path_factory) -> dict[str, BuildResult]:
    """Each sample week built once for all judges: index.html, issue.txt, issue.eml."""
    out = tmp_path_factory.mktemp("weeks")
    return {week: build_issue(folder, out / week) for week, folder in sorted(SAMPLE_WEEKS.items())}


@pytest.fixture(params=sorted(SAMPLE_WEEKS))
def week(request) -> str:
    return request.param


def artifact_dir() -> Path:
    from tests.judges.browser import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from digest.build import BuildResult, build_issue
from tests.conftest import SAMPLE_WEEKS
from tests.judges.browser import chromium


@pytest.fixture(scope="session")
def built_weeks(tmp_path_factory) -> dict[str, BuildResult]:
    """Each sample week built once for all judges: index.html, issue.txt, issue.eml."""
    out = tmp_path_factory.mktemp("weeks")
    return {week: build_issue(folder, out / week) for week, folder in sorted(SAMPLE_WEEKS.items())}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.fixture(params=sorted(SAMPLE_WEEKS))
def week(request) -> str:
    return request.param


def artifact_dir() -> Path:
    from tests.judges.browser import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

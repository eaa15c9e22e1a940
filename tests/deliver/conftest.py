"""The deliver tests' shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.deliver.send import PreparedSend, Purpose
from digest.pipeline import prepare_folder
from tests.conftest import TEST_SECRET


@pytest.fixture
def prepared_send(send_project: Path) -> PreparedSend:
    """The Meridian sample week prepared for a real send, with the test secret."""
    return prepare_folder(send_project, Purpose.SEND, environ={"DIGEST_SECRET": TEST_SECRET})

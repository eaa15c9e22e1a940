"""The deliver tests' shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.deliver.send import PreparedSend, Purpose
from digest.pipeline import prepare_folder
from digest.store import Store, open_store
from digest.store.subscribers import add_subscriber
from tests.conftest import TEST_SECRET


@pytest.fixture
def prepared_send(send_project: Path) -> PreparedSend:
    """The Meridian sample week prepared for a real send, with the test secret."""
    return prepare_folder(send_project, Purpose.SEND, environ={"DIGEST_SECRET": TEST_SECRET})


@pytest.fixture
def five_readers(store_at) -> Iterator[Store]:
    """A store (each backend) with five active subscribers, reader0..4@example.com."""
    store = open_store(store_at("subscribers.db"))
    for n in range(5):
        add_subscriber(store, f"reader{n}@example.com", f"Reader {n}")
    yield store
    store.close()

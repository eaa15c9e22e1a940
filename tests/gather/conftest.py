"""What the gather tests share: the loopback feed server, one per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.feed_server import FeedServer


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running

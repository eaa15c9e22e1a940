"""A feed's bytes from wherever it lives: a local file or an http(s) URL."""

from __future__ import annotations

from pathlib import Path

import httpx

from digest.errors import SourceError
from digest.gather.http import HttpCache, HttpPolicy, fetch
from digest.gather.readers.base import Document
from digest.model import Source


def read_local_feed(path: Path, max_bytes: int) -> Document:
    try:
        if path.is_dir():
            raise SourceError("is a folder: list it as folder = ... to read story files")
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(f"file is {size} bytes, over the {max_bytes}-byte cap")
        body = path.read_bytes()
    except FileNotFoundError:
        raise SourceError("file not found") from None
    except OSError as e:
        raise SourceError(f"cannot read: {e.strerror}") from None
    return Document(body=body, location=str(path), fetched="file")


def load_document(
    source: Source, *, client: httpx.Client | None, policy: HttpPolicy, cache: HttpCache | None
) -> Document:
    """The source's document; ``client`` may be None only for a local file."""
    if source.is_remote:
        if client is None:
            raise ValueError(f"an HTTP client is needed to fetch {source.location}")
        return fetch(source.location, client, policy, cache)
    return read_local_feed(Path(source.location), policy.max_bytes)

"""A feed's bytes from wherever it lives: a local file or an http(s) URL, under the same byte cap."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from digest.errors import SourceError
from digest.gather.http import HttpCache, HttpPolicy, fetch
from digest.gather.readers.base import Document, NotRegularFile, open_regular_file
from digest.model import Source


def read_local_feed(path: Path, max_bytes: int) -> Document:
    """A feed file's bytes; a folder, a FIFO or a device is refused, and no more than ``max_bytes``
    is ever read (the file may grow after its size was looked at)."""
    try:
        with open_regular_file(path) as file:
            size = os.fstat(file.fileno()).st_size
            if size > max_bytes:
                raise SourceError(f"file is {size} bytes, over the {max_bytes}-byte cap")
            body = file.read(max_bytes + 1)
    except NotRegularFile as e:
        if e.kind == "a folder":
            raise SourceError("is a folder: list it as folder = ... to read story files") from None
        raise SourceError(str(e)) from None
    except FileNotFoundError:
        raise SourceError("file not found") from None
    except OSError as e:
        raise SourceError(f"cannot read: {e.strerror}") from None
    if len(body) > max_bytes:
        raise SourceError(f"file is larger than the {max_bytes}-byte cap")
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

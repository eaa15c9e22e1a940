"""Fetching feeds politely: timeouts, a few retries with backoff, a size cap, conditional GET.

The weekly run asks each publisher's server for the same URL once a week; with the ETag or
Last-Modified it sent last time, an unchanged feed costs the server a 304 and no body. The cache
is a folder of small files (one JSON header file and one body per URL), written atomically.

The response body is read as a stream and abandoned as soon as it passes the cap, so a hostile
or broken server cannot make us hold more than ``max_bytes`` in memory (decompressed bytes count,
so a gzip bomb is stopped too). A fetch, retries and their waits included, ends by one deadline
(``total_timeout`` from its start, see :mod:`~digest.gather.deadline`), however slowly a server
sends its headers or its body.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
)

from digest.atomic import write_atomically
from digest.errors import SourceError
from digest.gather.deadline import Deadline, DeadlineTransport, fetch_deadline
from digest.gather.public_hosts import refuse_private_hosts
from digest.gather.readers.base import Document
from digest.model import HttpPolicy

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def new_client(policy: HttpPolicy, *, public_only: bool = False) -> httpx.Client:
    """A client whose fetches end by their deadline (a client made elsewhere checks it only while
    the body streams). ``public_only``: every request, redirect hops included, must go to a public
    address (a URL pasted by an editor; the feeds in the settings are the editors' own choice)."""
    return httpx.Client(
        event_hooks={"request": [refuse_private_hosts]} if public_only else None,
        transport=DeadlineTransport(public_only=public_only),
        timeout=httpx.Timeout(policy.timeout),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": policy.user_agent, "Accept": _ACCEPT},
    )


_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/rdf+xml;q=0.8, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)


@dataclass(frozen=True, slots=True)
class CachedResponse:
    etag: str
    last_modified: str
    content_type: str
    body: bytes


class HttpCache:
    """The last good response per URL, kept to answer a 304 Not Modified."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:40]
        return self.folder / f"{key}.json", self.folder / f"{key}.body"

    def lookup(self, url: str) -> CachedResponse | None:
        meta_path, body_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            body = body_path.read_bytes()
        except (OSError, ValueError):
            return None  # no entry, or a damaged one: fetch afresh
        if not isinstance(meta, dict) or meta.get("url") != url:
            return None
        return CachedResponse(
            etag=str(meta.get("etag", "")),
            last_modified=str(meta.get("last_modified", "")),
            content_type=str(meta.get("content_type", "")),
            body=body,
        )

    def store(self, url: str, response: httpx.Response, body: bytes) -> None:
        etag = response.headers.get("etag", "")
        last_modified = response.headers.get("last-modified", "")
        if not etag and not last_modified:
            return  # nothing to revalidate with next time
        meta = {
            "url": url,
            "etag": etag,
            "last_modified": last_modified,
            "content_type": response.headers.get("content-type", ""),
        }
        meta_path, body_path = self._paths(url)
        try:
            write_atomically(body_path, body)
            write_atomically(meta_path, json.dumps(meta).encode("utf-8"))
        except OSError:
            pass  # a cache we cannot write only costs a full download next week


class _Transient(Exception):
    """A server answer worth trying again (5xx, 429)."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.reason = response.reason_phrase
        super().__init__(f"{self.status} {self.reason}")


def _human_size(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size} bytes"


def _read_capped(response: httpx.Response, policy: HttpPolicy, deadline: Deadline) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise SourceError(
            f"response is {_human_size(int(declared))}, over the {_human_size(policy.max_bytes)} cap"
        )
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > policy.max_bytes:
            raise SourceError(f"response is larger than the {_human_size(policy.max_bytes)} cap")
        if deadline.passed:
            raise httpx.ReadTimeout(f"the whole fetch took over {deadline.seconds:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _attempt(
    url: str, client: httpx.Client, policy: HttpPolicy, cached: CachedResponse | None, deadline: Deadline
) -> tuple[httpx.Response, bytes]:
    headers = {}
    if cached is not None:
        if cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
    with fetch_deadline(deadline), client.stream("GET", url, headers=headers) as response:
        if response.status_code in RETRY_STATUSES:
            raise _Transient(response)
        if response.status_code == 304:
            return response, b""
        if response.status_code >= 400:
            raise SourceError(f"server answered {response.status_code} {response.reason_phrase}")
        return response, _read_capped(response, policy, deadline)


def _worth_retrying(error: BaseException, deadline: Deadline) -> bool:
    return isinstance(error, _Transient | httpx.TransportError) and not deadline.passed


def _describe_failure(error: BaseException, policy: HttpPolicy, attempts: int, deadline: Deadline) -> str:
    tries = f" ({attempts} attempts)" if attempts > 1 else ""
    if isinstance(error, _Transient):
        return f"server answered {error}{tries}"
    if isinstance(error, httpx.TimeoutException):
        # A wait cut short by the deadline is the deadline's doing, whatever the socket said.
        if deadline.passed:
            return f"timed out: the whole fetch took over {deadline.seconds:g} s{tries}"
        return f"timed out: no answer within {policy.timeout:g} s{tries}"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect: {error or 'connection refused'}{tries}"
    if isinstance(error, httpx.TooManyRedirects):
        return "too many redirects"
    return f"HTTP error: {type(error).__name__}: {error}{tries}"


def fetch(url: str, client: httpx.Client, policy: HttpPolicy, cache: HttpCache | None = None) -> Document:
    """GET a feed, retrying transient failures, all within ``policy.total_timeout``; a cached copy
    answers a 304."""
    cached = cache.lookup(url) if cache is not None else None
    deadline = Deadline.after(policy.total_timeout)
    retrying = Retrying(
        # No retry, and no wait before one, that the deadline would cut short.
        stop=stop_after_attempt(policy.retries + 1) | stop_before_delay(policy.total_timeout),
        wait=wait_exponential(multiplier=policy.backoff, max=8),
        retry=retry_if_exception(lambda e: _worth_retrying(e, deadline)),
        reraise=False,
    )
    try:
        response, body = retrying(_attempt, url, client, policy, cached, deadline)
    except RetryError as e:
        last = e.last_attempt.exception() or e  # never None: a RetryError follows a failed attempt
        attempts = e.last_attempt.attempt_number
        raise SourceError(_describe_failure(last, policy, attempts, deadline)) from last
    except (httpx.HTTPError, _Transient) as e:  # not retried: too many redirects, a broken gzip
        # stream, or anything once the deadline has passed
        attempts = retrying.statistics.get("attempt_number", 1)
        raise SourceError(_describe_failure(e, policy, attempts, deadline)) from e
    except httpx.InvalidURL as e:
        raise SourceError(f"not a usable URL: {e}") from e

    final_url = str(response.url)
    if response.status_code == 304:
        if cached is None:
            raise SourceError("server answered 304 Not Modified to a request without a cached copy")
        return Document(
            body=cached.body, location=final_url, content_type=cached.content_type, fetched="304 (cached)"
        )
    if cache is not None:
        cache.store(url, response, body)
    return Document(
        body=body,
        location=final_url,
        content_type=response.headers.get("content-type", ""),
        fetched=str(response.status_code),
    )

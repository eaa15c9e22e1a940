"""Links from feeds: resolved, stripped of trackers, and reduced to a key that spots duplicates."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that say how someone arrived, never which page it is.
TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid"})
TRACKING_PREFIXES = ("utm_",)
_ASCII_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def absolute_http_url(value: str, base: str = "") -> str:
    """``value`` resolved against ``base``; empty unless the result is an absolute http(s) URL."""
    value = value.strip()
    if not value or _ASCII_SPACE_OR_CONTROL.search(value):
        return ""  # spaces, line separators and control characters have no place inside a link
    if not value.isascii() and any(unicodedata.category(c)[0] in "ZC" for c in value):
        return ""
    try:
        already_absolute = value[:8].lower().startswith(("http://", "https://"))
        resolved = urljoin(base, value) if base and not already_absolute else value
        parts = urlsplit(resolved)
    except ValueError:  # e.g. an invalid IPv6 literal
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return resolved


def origin_of(url: str) -> str:
    """The web origin of an absolute http(s) URL, as browsers send it in an Origin header:
    "https://Example.org:443/a?b" -> "https://example.org" (default ports left out)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(scheme)
    port = "" if parts.port in (None, default) else f":{parts.port}"
    return f"{scheme}://{host}{port}"


def without_tracking(url: str) -> str:
    """The link with utm_*, fbclid and similar parameters removed; everything else as given."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def canonical_url(url: str) -> str:
    """A key equal for links to the same page: no trackers, fragment, trailing slash or default port.

    Only for comparing: the scheme is folded to https and the host lowercased, and the remaining
    query parameters are sorted.
    """
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    if port is not None and not (scheme == "http" and port == 80) and not (scheme == "https" and port == 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k))
    if scheme in ("http", "https"):
        scheme = "https"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


# Redirectors that wrap a story's real link (Google Alerts, Facebook's link shim): "host/path", and
# the query parameters that may carry the target. `[gather] redirectors` adds to them.
REDIRECTORS = ("www.google.com/url", "google.com/url", "l.facebook.com/l.php", "lm.facebook.com/l.php")
_TARGET_PARAMETERS = ("url", "q", "u")


def unwrap_redirect(url: str, redirectors: tuple[str, ...] = ()) -> str:
    """The link a known redirector points to, else ``url`` as it is.

    >>> unwrap_redirect("https://www.google.com/url?rct=j&sa=t&url=https://news.example/a%3Fb%3D1&ct=ga")
    'https://news.example/a?b=1'
    >>> unwrap_redirect("https://www.google.com/url?url=javascript:alert(1)")
    'https://www.google.com/url?url=javascript:alert(1)'
    """
    parts = urlsplit(url)
    where = f"{(parts.hostname or '').lower()}{parts.path}"
    if where not in (*REDIRECTORS, *redirectors):
        return url
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name in _TARGET_PARAMETERS:
        target = absolute_http_url(query.get(name, ""))
        if target:
            return target
    return url


IMAGE_URL_PLACEHOLDER = "{url}"


def through_image_base(url: str, image_base: str) -> str:
    """``url`` as an image proxy (``[render] image_base``) serves it: percent-encoded in place of
    ``{url}`` in ``image_base``, or appended to it when it has no ``{url}``.

    >>> through_image_base("http://cdn.example/a b.jpg?w=1", "https://img.example/p?url=")
    'https://img.example/p?url=http%3A%2F%2Fcdn.example%2Fa%20b.jpg%3Fw%3D1'
    >>> through_image_base("http://cdn.example/a.jpg", "https://img.example/{url}?w=600")
    'https://img.example/http%3A%2F%2Fcdn.example%2Fa.jpg?w=600'
    """
    encoded = quote(url, safe="")
    if IMAGE_URL_PLACEHOLDER in image_base:
        return image_base.replace(IMAGE_URL_PLACEHOLDER, encoded)
    return image_base + encoded

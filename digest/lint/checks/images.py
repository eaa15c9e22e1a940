"""Images: alt text, https sources, an integer width no wider than the 600 px layout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from digest.lint.document import EmailDocument, describe
from digest.lint.findings import Finding, Level
from digest.lint.registry import check

MAX_WIDTH = 600
_INTEGER = re.compile(r"\d+")


@check("images")
def images(doc: EmailDocument) -> Iterator[Finding]:
    """Every <img> has alt (empty only for decoration), an https src and an integer width <= 600."""
    for img in doc.tree.iter("img"):
        where = describe(img)
        alt = img.get("alt")
        linked = any(parent.tag == "a" for parent in img.iterancestors())
        if alt is None:
            yield Finding(
                Level.ERROR,
                "img-alt-missing",
                "an image without alt: screen readers read its file name, and blocked images show nothing",
                where,
                'Give the story an image_alt (or alt="" for a purely decorative image).',
            )
        elif not alt.strip() and linked:
            yield Finding(
                Level.ERROR,
                "img-alt-empty-link",
                "a linked image with empty alt: the link has no name",
                where,
                "Describe the image (or where the link goes) in its alt text.",
            )
        src = (img.get("src") or "").strip()
        scheme = urlsplit(src).scheme.lower()
        if scheme not in ("https", "cid"):
            yield Finding(
                Level.ERROR,
                "img-not-https",
                f"image source is {src[:80]!r}: only https images load everywhere (and without warnings)",
                where,
                "Serve the image over https (an absolute https:// URL).",
            )
        width = (img.get("width") or "").strip()
        if not _INTEGER.fullmatch(width):
            yield Finding(
                Level.ERROR,
                "img-width-missing",
                f"image width is {width or 'missing'!r}: Outlook then shows it at its file's full size",
                where,
                'Give <mj-image> a width in px (the img gets width="N"); keep premailer from rewriting it.',
            )
        elif int(width) > MAX_WIDTH:
            yield Finding(
                Level.ERROR,
                "img-too-wide",
                f"image width {width} is wider than the {MAX_WIDTH} px layout",
                where,
                f"Use a width of at most {MAX_WIDTH}.",
            )

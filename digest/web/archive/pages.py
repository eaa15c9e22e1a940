"""An issue's email HTML as an archive page: the reader's personal links taken out.

The copy a send keeps (digest/deliver/snapshot.py) has no name in it (the theme's no-name
greeting) and the personal links (unsubscribe, "view in browser", the preference page) filled with the values
`RecipientLinks.for_archive` gives; those are what is removed here, along with a line left
holding nothing but the separators between them.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from digest.markup import text_content
from digest.model import Issue
from digest.render import RecipientLinks

# What is left of "<a>Unsubscribe</a> · <a>Read online</a>" once both links are gone.
_ONLY_SEPARATORS = re.compile(r"^[\s·|•–—\-,]*$")


def personal_links(issue: Issue) -> frozenset[str]:
    links = RecipientLinks.for_archive(issue)
    return frozenset({links.unsubscribe, links.view_online, links.preferences})


def _drop(element: etree._Element) -> None:
    """Take ``element`` out of the page, keeping the text that follows it (lxml.html's drop_tree)."""
    assert isinstance(element, lxml_html.HtmlMixin)  # parsed as HTML; lxml-stubs types it as XML
    element.drop_tree()


def _remove_emptied_block(parent: etree._Element) -> None:
    """Drop the nearest enclosing block of `parent` (a table row, for MJML) if it says nothing now."""
    if not _ONLY_SEPARATORS.match(text_content(parent)) or parent.xpath(".//img"):
        return
    row = next(parent.iterancestors("tr"), None)
    target = row if row is not None else parent
    if target.getparent() is not None:
        _drop(target)


def archive_page(
    html: str, issue: Issue, *, index_href: str, feed_href: str, index_label: str = "All issues"
) -> str:
    """The email HTML (the copy sent without a recipient) as a web page: no personal links, a way
    back to the index and the feed."""
    document = lxml_html.document_fromstring(html)
    personal = personal_links(issue)
    emptied = []
    for anchor in [a for a in document.iter("a") if a.get("href") is not None]:
        if anchor.get("href", "").strip() in personal:
            parent = anchor.getparent()
            _drop(anchor)
            if parent is not None:
                emptied.append(parent)
    for parent in emptied:
        if parent.getroottree().getroot() is document:  # not already gone with an earlier block
            _remove_emptied_block(parent)

    head = document.find("head")
    if head is not None:
        title = head.find("title")
        if title is None:
            title = lxml_html.Element("title")
            head.append(title)
        if not (title.text or "").strip():
            title.text = issue.subject
        feed = lxml_html.Element(
            "link", rel="alternate", type="application/atom+xml", href=feed_href, title="Atom feed"
        )
        head.append(feed)

    body = document.find("body")
    if body is not None:
        nav = lxml_html.fragment_fromstring(
            '<nav class="archive-nav" style="max-width:600px;margin:0 auto;padding:12px 24px;'
            'font:14px/1.4 system-ui,sans-serif;"><a style="color:#555;"></a> · '
            '<a style="color:#555;">Atom feed</a></nav>'
        )
        back, feed_link = nav.findall("a")
        back.set("href", index_href)
        back.text = f"← {index_label}"
        feed_link.set("href", feed_href)
        body.insert(0, nav)
    return lxml_html.tostring(document, doctype="<!doctype html>", encoding="unicode") + "\n"

"""Reports as pages: the sponsor report a sales team can forward (`digest report --sponsor --html`)."""

from digest.web.reports.sponsor_page import sponsor_html

__all__ = ["sponsor_html"]

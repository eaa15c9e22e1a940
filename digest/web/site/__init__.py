"""The public app (`digest serve`): unsubscribe pages, and the web archive of past issues."""

from digest.web.site.app import create_app
from digest.web.site.archive import archive_routes, live_archive_routes
from digest.web.site.unsubscribe import UnsubscribePages

__all__ = ["UnsubscribePages", "archive_routes", "create_app", "live_archive_routes"]

"""The editors' preview: every issue of a project, rendered live, with the editor's controls."""

from digest.web.preview.app import create_preview_app

__all__ = ["create_preview_app"]

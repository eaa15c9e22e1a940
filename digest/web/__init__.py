"""Web apps: the subscriber-facing app (`digest serve`: unsubscribe pages, the web archive) and
the editors' preview (`digest preview`, digest/web/preview/)."""

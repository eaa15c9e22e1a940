"""Web apps: the editors' preview (digest preview) and the subscriber-facing site."""

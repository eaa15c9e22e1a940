"""Web apps: the subscriber-facing app (`digest serve`: unsubscribe, and the archive once it exists)."""

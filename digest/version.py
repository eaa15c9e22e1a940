"""The package version, on the ground floor: the feed reader's User-Agent names it."""

__version__ = "0.1.0"

"""Every lint check, one function each, grouped by what they look at. Importing registers them."""

from digest.lint.checks import (  # noqa: F401  (imported to register)
    budget,
    content,
    css_support,
    darkmode,
    document,
    images,
    links,
    preheader,
    readability,
)

"""digest: gather the week's stories, compose an issue, render email HTML, deliver it once."""

__version__ = "0.1.0"

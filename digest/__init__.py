"""digest: gather the week's stories, compose an issue, render email HTML, deliver it once.

The library's face. Each name is loaded on first use (PEP 562), so `import digest` costs nothing
and every `digest` command starts as fast as the modules it needs::

    >>> import digest
    >>> digest.compose_folder.__module__
    'digest.pipeline'

Outside code imports from here; the stage packages' inner modules may move. (A stage's own
package name, such as `digest.compose`, is the package, so no face name repeats one.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from digest.faces import lazy_face
from digest.version import __version__

_EXPORTS: dict[str, tuple[str, ...]] = {
    "digest.settings": ("load_issue_config", "load_project_config"),
    # the stages
    "digest.gather": ("gather_week", "gather_issue"),
    "digest.compose": ("compose_config", "Composition"),
    "digest.render": ("render_issue", "load_theme"),
    "digest.lint": ("lint_rendered", "LintReport"),
    "digest.deliver.send": ("prepare_issue", "send_issue", "send_proofs"),
    # the pipeline: an issue folder through the stages, each once
    "digest.pipeline": (
        "compose_folder",
        "compose_issue",
        "render_folder",
        "build_issue",
        "lint_folder",
        "prepare_folder",
    ),
    # the unattended week
    "digest.runs.run": ("run_issue",),
    # the data
    "digest.model": ("Story", "Issue", "RenderedIssue"),
    "digest.errors": ("DigestError", "ConfigError"),
}

__all__ = [  # the same names as _EXPORTS (tests/test_architecture.py holds them equal)
    "Composition",
    "ConfigError",
    "DigestError",
    "Issue",
    "LintReport",
    "RenderedIssue",
    "Story",
    "__version__",
    "build_issue",
    "compose_config",
    "compose_folder",
    "compose_issue",
    "gather_issue",
    "gather_week",
    "lint_folder",
    "lint_rendered",
    "load_issue_config",
    "load_project_config",
    "load_theme",
    "prepare_folder",
    "prepare_issue",
    "render_folder",
    "render_issue",
    "run_issue",
    "send_issue",
    "send_proofs",
]

__getattr__, __dir__ = lazy_face(globals(), _EXPORTS)


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from digest.compose import Composition, compose_config
    from digest.deliver.send import prepare_issue, send_issue, send_proofs
    from digest.errors import ConfigError, DigestError
    from digest.gather import gather_issue, gather_week
    from digest.lint import LintReport, lint_rendered
    from digest.model import Issue, RenderedIssue, Story
    from digest.pipeline import (
        build_issue,
        compose_folder,
        compose_issue,
        lint_folder,
        prepare_folder,
        render_folder,
    )
    from digest.render import load_theme, render_issue
    from digest.runs.run import run_issue
    from digest.settings import load_issue_config, load_project_config

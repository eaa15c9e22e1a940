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

import importlib
from typing import TYPE_CHECKING, Any

from digest.version import __version__

# name → the module that defines it
_FACE: dict[str, str] = {
    # settings
    "load_issue_config": "digest.settings",
    "load_project_config": "digest.settings",
    # the stages
    "gather_week": "digest.gather",
    "gather_issue": "digest.gather",
    "compose_config": "digest.compose",
    "render_issue": "digest.render",
    "load_theme": "digest.render",
    "lint_rendered": "digest.lint",
    "prepare_issue": "digest.deliver.send",
    "send_issue": "digest.deliver.send",
    "send_proofs": "digest.deliver.send",
    # the pipeline: an issue folder through the stages, each once
    "compose_folder": "digest.pipeline",
    "compose_issue": "digest.pipeline",
    "render_folder": "digest.pipeline",
    "build_issue": "digest.pipeline",
    "lint_folder": "digest.pipeline",
    "prepare_folder": "digest.pipeline",
    # the unattended week
    "run_issue": "digest.runs.run",
    # the data
    "Story": "digest.model",
    "Issue": "digest.model",
    "RenderedIssue": "digest.model",
    "Composition": "digest.compose",
    "LintReport": "digest.lint",
    "DigestError": "digest.errors",
    "ConfigError": "digest.errors",
}

__all__ = [  # the same names as _FACE (a test holds them equal)
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


def __getattr__(name: str) -> Any:
    module = _FACE.get(name)
    if module is None:
        raise AttributeError(f"module 'digest' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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

"""The house's rules, checked: the import-linter contracts in pyproject.toml hold (one package per
stage, nothing imports upward, no cycles), and they do fail when someone breaks them; no module
over 400 lines and no function over 60; the library's face exports what it says."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import digest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "digest"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(project / "pyproject.toml"), "--no-cache"],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("digest/model.py", "import digest.pipeline"),  # the ground floor reaching up to the pipeline
        ("digest/deliver/message.py", "import digest.runs.run"),  # a stage reaching up to the runs
        ("digest/compose/score.py", "import digest.gather"),  # one stage importing a sibling stage
    ],
)
def test_the_contracts_fail_when_someone_imports_upward(tmp_path: Path, module: str, upward: str):
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copy(ROOT / "pyproject.toml", copy)
    shutil.copytree(PACKAGE, copy / "digest", ignore=shutil.ignore_patterns("__pycache__", "templates"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{upward}  # noqa\n", encoding="utf-8")
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def _python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in _python_files()
        if (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_60_lines():
    long = {}
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = length
    assert long == {}


def test_the_library_face_exports_what_it_lists():
    assert sorted(digest.__all__) == sorted(["__version__", *digest._FACE])
    for name in digest.__all__:
        assert getattr(digest, name) is not None, name
    assert (PACKAGE / "py.typed").is_file()


def test_importing_the_face_loads_no_stage():
    """`import digest` (and so every `digest` command's start) stays cheap: the face loads lazily."""
    code = "import sys, digest; print(sorted(m for m in sys.modules if m.startswith('digest.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "['digest.version']"

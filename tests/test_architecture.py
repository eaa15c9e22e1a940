"""The house's rules, checked: the import-linter contracts in pyproject.toml hold (one package per
stage, nothing imports upward, no cycles), and they do fail when someone breaks them; no module
over 400 lines and no function over 60; the library's face exports what it says."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


LAZY_FACES = ("digest", "digest.deliver", "digest.runs", "digest.feedback")
"""The package faces that load each name on first use (digest/faces.py)."""


@pytest.mark.parametrize("face", LAZY_FACES)
def test_a_lazy_face_exports_what_it_lists(face: str):
    package = importlib.import_module(face)
    listed = [name for names in package._EXPORTS.values() for name in names]
    assert sorted(package.__all__) == sorted({*listed, *(["__version__"] if face == "digest" else [])})
    assert len(listed) == len(set(listed))
    for name in package.__all__:
        assert getattr(package, name) is not None, name
    assert (PACKAGE / "py.typed").is_file()


def test_a_face_name_stays_the_faces_when_its_submodule_loads_first():
    """digest.feedback's `classify` is a function and a module's name: importing the module first
    (as feedback/fetch.py does) leaves the package's `classify` the function."""
    code = (
        "import digest.feedback.classify, digest.feedback as f, inspect; "
        "print(inspect.isfunction(f.classify)); from digest.feedback import classify; "
        "print(inspect.isfunction(classify))"
    )
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert printed.stdout.split() == ["True", "True"]


def test_importing_the_face_loads_no_stage():
    """`import digest` (and so every `digest` command's start) stays cheap: the face loads lazily."""
    code = "import sys, digest; print(sorted(m for m in sys.modules if m.startswith('digest.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "['digest.faces', 'digest.version']"

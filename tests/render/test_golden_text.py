"""The plain-text part of each sample week, byte for byte.

Regenerate after a reviewed change with: DIGEST_REGEN_GOLDEN=1 pytest tests/render/test_golden_text.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digest.pipeline import render_folder
from tests.conftest import SAMPLE_WEEKS

GOLDEN = Path(__file__).parent.parent / "golden"


@pytest.mark.parametrize("week", sorted(SAMPLE_WEEKS))
def test_text_part_matches_golden(week: str):
    rendered, _ = render_folder(SAMPLE_WEEKS[week])
    golden = GOLDEN / f"{week}.txt"
    if os.environ.get("DIGEST_REGEN_GOLDEN"):
        golden.write_text(rendered.text, encoding="utf-8")
    assert golden.is_file(), f"missing {golden}; run with DIGEST_REGEN_GOLDEN=1 to create it"
    assert rendered.text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("week", sorted(SAMPLE_WEEKS))
def test_build_is_deterministic(week: str):
    first, _ = render_folder(SAMPLE_WEEKS[week])
    second, _ = render_folder(SAMPLE_WEEKS[week])
    assert first.html == second.html
    assert first.text == second.text

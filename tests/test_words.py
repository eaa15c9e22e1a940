"""The one slugifier and the one way to count a noun (digest/words.py)."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from slugify import slugify

from digest.words import name_slug, plural, slug


def test_plural():
    assert [plural(n, "story", "stories") for n in (0, 1, 2)] == ["0 stories", "1 story", "2 stories"]
    assert plural(1, "warning") == "1 warning" and plural(5, "warning") == "5 warnings"


def test_slugs_spell_letters_in_ascii_and_cut_at_a_word():
    assert slug("Crème brûlée: 10 ways") == "creme-brulee-10-ways"
    assert slug("one two three", max_length=8) == "one-two"


@given(st.text(max_size=40), st.sampled_from([0, 60, 80]))
def test_slug_is_python_slugify_as_story_ids_use_it(text: str, max_length: int):
    assert slug(text, max_length=max_length) == slugify(text, max_length=max_length, word_boundary=True)


def _letters_as_typed(text: str) -> bool:
    # NFKC folds compatibility characters ("½" → "1⁄2") before the ASCII filter: those may differ.
    return unicodedata.normalize("NFKC", text) == text


@given(st.text(max_size=40).filter(_letters_as_typed))
def test_name_slug_keeps_ascii_letters_and_digits_as_it_always_did(name: str):
    before = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "newsletter"
    assert name_slug(name) == before

"""Short words made from data: slugs (through python-slugify) and counted nouns.

>>> plural(1, "story", "stories"), plural(3, "story", "stories"), plural(0, "warning")
('1 story', '3 stories', '0 warnings')
>>> slug("Crème brûlée: 10 ways"), name_slug("Ünïcode ☃"), name_slug("☃")
('creme-brulee-10-ways', 'n-code', 'newsletter')
>>> greeting_name("Hiroshi Costa"), greeting_name("Costa, Hiroshi"), greeting_name("山田 太郎")
('Hiroshi', 'Hiroshi', '山田 太郎')
"""

from __future__ import annotations

import re

from slugify import slugify

_NOT_ASCII_WORD = r"[^a-z0-9]+"
# Han, kana and Hangul: names written in these put the family name first and often no space,
# so no part of them is "the first name" a greeting could take.
_CJK = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


def plural(count: int, singular: str, many: str = "") -> str:
    """``count`` and the noun that goes with it; ``many`` defaults to ``singular`` + "s"."""
    return f"{count} {singular if count == 1 else many or singular + 's'}"


def slug(text: str, *, max_length: int = 0, ascii_only: bool = False) -> str:
    """Lowercase letters and digits joined by hyphens, cut at a word boundary within ``max_length``
    (0: no limit). Letters outside ASCII are spelled in ASCII ("é" → "e"); with ``ascii_only``
    they are dropped instead, and the text is taken literally (no HTML entities decoded, "1,000"
    stays "1-000"), the way link tags and List-Id labels have always been made."""
    if not ascii_only:
        return slugify(text, max_length=max_length, word_boundary=True)
    return slugify(
        text,
        max_length=max_length,
        word_boundary=True,
        allow_unicode=True,  # no transliteration: what is not [a-z0-9] becomes a hyphen
        regex_pattern=_NOT_ASCII_WORD,
        entities=False,
        decimal=False,
        hexadecimal=False,
        replacements=((",", "-"),),  # before python-slugify joins digit groups ("1,000" → "1000")
    )


def name_slug(name: str) -> str:
    """A newsletter's name as a label (utm_source, List-Id): ASCII letters and digits, never empty."""
    return slug(name, ascii_only=True) or "newsletter"


def greeting_name(name: str) -> str:
    """The part of a full name a greeting uses: the first word ("Hiroshi Costa" → "Hiroshi"), the
    first word after a comma ("Costa, Hiroshi" → "Hiroshi"), the whole name when it has CJK
    characters or one word. Titles and particles ("Dr. Ana Lima") are not guessed: a subscriber's
    own first_name says it instead."""
    text = " ".join(name.split())
    if not text or _CJK.search(text):
        return text
    family, comma, given = text.partition(",")
    words = (given if comma and given.strip() else family).split()
    return words[0] if words else ""

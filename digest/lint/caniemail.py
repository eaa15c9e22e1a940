"""caniemail.com's support data, vendored from the npm package ``caniemail`` (MIT; see data/README.md).

Only four client families matter to lint (those most subscribers read in); for each feature we take
every platform's newest tested version and report where it is not supported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

FAMILIES = ("gmail", "outlook", "apple-mail", "yahoo")
DATA_FILE = "caniemail.json"


@dataclass(frozen=True, slots=True)
class Support:
    slug: str
    title: str
    url: str
    unsupported: tuple[str, ...]
    """"Gmail (Android 2022-07)"-style names of the platforms that do not support it."""


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in re.split(r"[^0-9]+", version) if part)


@lru_cache(maxsize=1)
def _data() -> dict:
    text = resources.files("digest.lint").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def data_date() -> str:
    return _data()["last_update_date"]


@lru_cache(maxsize=1)
def _features() -> dict[str, dict]:
    return {feature["slug"]: feature for feature in _data()["data"]}


def known(slug: str) -> bool:
    return slug in _features()


@lru_cache(maxsize=512)
def support(slug: str) -> Support | None:
    feature = _features().get(slug)
    if feature is None:
        return None
    names = _data()["nicenames"]
    missing = []
    for family in FAMILIES:
        for platform, versions in feature["stats"].get(family, {}).items():
            if not versions:
                continue
            newest = max(versions, key=_version_key)
            if versions[newest].split()[0] == "n":
                family_name = names["family"].get(family, family)
                platform_name = names["platform"].get(platform, platform)
                missing.append(f"{family_name} ({platform_name} {newest})")
    return Support(slug=slug, title=feature["title"], url=feature["url"], unsupported=tuple(missing))

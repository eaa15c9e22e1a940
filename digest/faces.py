"""Package faces loaded on first use (PEP 562): `from digest.deliver import SmtpError` imports
digest/deliver/smtp.py and nothing else of the package, so a command starts as fast as the
modules it uses (a not-due `digest run --if-due` tick never loads DKIM, premailer or httpx).

A face lists where each of its names is defined and hands its module this `__getattr__`::

    __getattr__, __dir__ = lazy_face(globals(), {"digest.deliver.smtp": ("SmtpError",)})

with the same imports under `if TYPE_CHECKING:` for type checkers and editors (tests/test_faces.py
holds the table and `__all__` equal, and every name loadable).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


class _Face(ModuleType):
    """A package whose face name is also a submodule's (digest.feedback's `classify`): loading the
    submodule sets it as the package's attribute, which would hide the function; the face keeps
    the name it gives out instead."""

    _face_names: frozenset[str] = frozenset()

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            name in self._face_names
            and isinstance(value, ModuleType)
            and value.__name__ == f"{self.__name__}.{name}"
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


def lazy_face(
    namespace: dict[str, Any], exports: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of the package whose globals() are `namespace`; `exports`
    maps each defining module to the names the face gives out from it."""
    package = namespace["__name__"]
    where = {name: module for module, names in exports.items() for name in names}
    face = sys.modules[package]
    face.__class__ = _Face
    face._face_names = frozenset(where)  # type: ignore[attr-defined]

    def face_getattr(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # the next look-up is a plain attribute
        return value

    def face_dir() -> list[str]:
        return sorted({*namespace, *where})

    return face_getattr, face_dir

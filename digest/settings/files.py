"""Reading the settings files: each one once, into a value the loaders then share.

A project is a digest.toml; an issue folder holds an issue.toml and may sit below one. Whatever
a command needs from them is read here, once, and handed on as `SettingsFiles` (the raw tables of
each file, with its path), so validating, layering and resolving paths never read a file again.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from digest.errors import ConfigError

ISSUE_FILE = "issue.toml"
PROJECT_FILE = "digest.toml"
STORIES_DIR = "stories"


def read_toml(path: Path) -> dict[str, Any]:
    """The one function that reads a settings file (tests count reads by wrapping it)."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("file not found", where=path) from None
    except IsADirectoryError:
        raise ConfigError("is a folder, not a settings file", where=path) from None
    except OSError as e:  # unreadable: permissions, an I/O error
        raise ConfigError(f"cannot read it: {e.strerror or e}", where=path) from None
    except UnicodeDecodeError:
        raise ConfigError("not valid TOML: the file is not UTF-8 text", where=path) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", where=path) from None


def find_project_file(start: Path) -> Path | None:
    """The nearest digest.toml in the folder above an issue folder, or further up."""
    for folder in [start, *start.parents]:
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def project_file(config_file: Path | None, *, cwd: Path) -> Path:
    """The one discovery rule for a command that needs a project: `--config FILE` if given, else the
    nearest digest.toml in `cwd` or a folder above it."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError("file not found", where=config_file.resolve())
        return config_file.resolve()
    found = find_project_file(cwd.resolve())
    if found is None:
        raise ConfigError(f"no {PROJECT_FILE} here or in any folder above; give --config FILE", where=cwd)
    return found


@dataclass(frozen=True, slots=True)
class SettingsFile:
    """One TOML file as read: its path and its raw tables, before any validation."""

    path: Path
    tables: Mapping[str, Any]

    @property
    def folder(self) -> Path:
        """Relative paths a file declares are relative to this folder."""
        return self.path.parent


def read_settings_file(path: Path) -> SettingsFile:
    return SettingsFile(path=path, tables=MappingProxyType(read_toml(path)))


@dataclass(frozen=True, slots=True)
class SettingsFiles:
    """The files one set of settings comes from: a digest.toml, an issue.toml, or the one over the other."""

    project: SettingsFile | None = None
    """digest.toml (or the one file a command was given), the lower layer."""
    issue: SettingsFile | None = None
    """issue.toml, layered over the project's file."""

    @property
    def layers(self) -> tuple[SettingsFile, ...]:
        """The files read, lowest first: later layers win."""
        return tuple(file for file in (self.project, self.issue) if file is not None)

    def where(self, default: Path) -> str | Path:
        """How an error names the files: the top one, with the one below it in brackets."""
        if self.project is not None and self.issue is not None:
            return f"{self.issue.path} (with {self.project.path})"
        top = self.issue or self.project
        return top.path if top is not None else default

    def default_folder(self, cwd: Path) -> Path:
        """Where an unset path goes: next to digest.toml, or in the current folder without one."""
        if self.project is not None and self.project.path.name == PROJECT_FILE:
            return self.project.folder
        return cwd


def read_issue_files(folder: Path, *, known: Iterable[SettingsFile] = ()) -> SettingsFiles:
    """FOLDER/issue.toml and the nearest digest.toml above it, each read once.

    A file in `known` (already read by the caller, e.g. the project's digest.toml a run loaded
    first) is taken as it is rather than read again.
    """
    already = {file.path: file for file in known}

    def read(path: Path) -> SettingsFile:
        return already.get(path) or read_settings_file(path)

    issue = read(folder / ISSUE_FILE)
    project_path = find_project_file(folder.parent)
    return SettingsFiles(project=read(project_path) if project_path is not None else None, issue=issue)


def read_command_files(config_file: Path | None, *, cwd: Path) -> SettingsFiles:
    """The files of a command that takes `--config FILE` or nothing: FILE (an issue.toml comes with
    the digest.toml above it), else the nearest digest.toml from `cwd` upwards, else none."""
    if config_file is None:
        found = find_project_file(cwd)
        return SettingsFiles(project=read_settings_file(found) if found is not None else None)
    config_file = config_file.resolve()
    if not config_file.is_file():
        raise ConfigError("file not found", where=config_file)
    if config_file.name == ISSUE_FILE:
        return read_issue_files(config_file.parent)
    return SettingsFiles(project=read_settings_file(config_file))

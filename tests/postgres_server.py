"""A real PostgreSQL for the tests: Debian's server binaries, a cluster made by initdb in a temporary
folder as an unprivileged user (the server refuses to run as root), listening on a free loopback
port and on a unix socket in that folder; stopped when the session ends.

Each test gets a fresh database, cloned from a migrated template (CREATE DATABASE … TEMPLATE is a
file copy: milliseconds, where running the migrations again would take far longer).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

from tests.ports import free_port

START_TIMEOUT = 30
"""Seconds pg_ctl waits for the server to accept connections (and to stop)."""

TEMPLATE = "digest_template"
PASSWORD = "a test password"
"""Asked over TCP only (the unix socket trusts): tests of DIGEST_DB_PASSWORD and of a refused login."""


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps them under /usr/lib/postgresql)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PostgresServer:
    bin_dir: Path
    folder: Path
    port: int
    user: str
    _names = count(1)

    def url(self, database: str) -> str:
        """Through the unix socket, where the cluster trusts its users."""
        return f"postgresql://digest@/{database}?host={self.folder}&port={self.port}"

    def tcp_url(self, database: str) -> str:
        """Over loopback TCP, where the cluster asks for PASSWORD (scram-sha-256)."""
        return f"postgresql://digest@127.0.0.1:{self.port}/{database}"

    def _as_owner(self, *command: str | Path) -> list[str]:
        """Run as the folder's owner: initdb and postgres refuse root."""
        prefix = ["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []
        return [*prefix, *map(str, command)]

    def run(self, *command: str | Path) -> None:
        subprocess.run(self._as_owner(*command), check=True, capture_output=True, timeout=START_TIMEOUT)

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(statement)

    def new_database(self) -> str:
        """A fresh, migrated, empty database; its URL."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self.sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def drop(self, url: str) -> None:
        """Drop a test's database (its connections ended first): each is a copy of several MB."""
        name = url.split("?")[0].rsplit("/", 1)[1]
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def empty_database(self) -> str:
        """A fresh database without digest's schema (for `digest store migrate` and `copy`)."""
        name = f"empty_{os.getpid()}_{next(self._names)}"
        self.sql(f"CREATE DATABASE {name}")
        return self.url(name)


def _owner() -> str:
    """An unprivileged user to own the cluster when we run as root."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    return "nobody"


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL's initdb is not installed (tests/install-tools installs it)")
    user = _owner()
    folder = Path(tempfile.mkdtemp(prefix="digest-pg-"))
    owner = pwd.getpwnam(user)
    os.chown(folder, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(bin_dir, folder, free_port(), user)
    data = folder / "data"
    try:
        password_file = folder / "password"
        password_file.write_text(PASSWORD + "\n")
        os.chown(password_file, owner.pw_uid, owner.pw_gid)
        server.run(
            *(bin_dir / "initdb", "-D", data, "-U", "digest", "-E", "UTF8", "--no-sync"),
            *("--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={password_file}"),
        )
        options = f"-h 127.0.0.1 -p {server.port} -k {folder} -c fsync=off -c full_page_writes=off"
        server.run(bin_dir / "pg_ctl", "-D", data, "-l", folder / "log", "-o", options, "-w", "start")
        try:
            server.sql(f"CREATE DATABASE {TEMPLATE}")
            from digest.store import open_store

            open_store(server.url(TEMPLATE)).close()
            yield server
        finally:
            server.run(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)

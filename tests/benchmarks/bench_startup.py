"""What a command costs before it does anything: the CPU seconds of `digest --help` and of a
timer's tick with nothing due (`digest run --if-due`, with and without --send), each a fresh
process, against `python -c pass` measured in the same run (the interpreter's own start-up).

CPU time (user + system, os.wait4 of the child) rather than wall time: on a shared machine it is
what the command itself spends. The target is at most 0.3 s for each (issue 16). The children
compile each module once into a temporary bytecode cache (PYTHONPYCACHEPREFIX), as an installed
digest has its .pyc files: the first round warms it and is not counted.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.schedule_fixtures import tidewater_project, weekday_in

ROUNDS = 7


def cpu_seconds(command: list[str], cwd: Path, environ: dict[str, str]) -> float:
    """The median CPU seconds (user + system) of ROUNDS runs of `command` as a child process,
    after one that warms the bytecode cache."""
    samples = []
    for _ in range(ROUNDS + 1):
        child = subprocess.Popen(
            command, cwd=cwd, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(child.pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, command
        samples.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(samples[1:])


def main() -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        config = tidewater_project(Path(folder) / "tidewater", weekday=weekday_in(3))
        here = config.parent
        environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        environ["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "pycache")
        floor = cpu_seconds([python, "-c", "pass"], here, environ)
        print(f"python -c pass (the floor): {floor:.3f} s CPU")
        for label, arguments in (
            ("digest --help", ["--help"]),
            ("digest run --if-due (not due)", ["run", "--if-due"]),
            ("digest run --if-due --send (not due)", ["run", "--if-due", "--send"]),
        ):
            seconds = cpu_seconds([python, "-m", "digest", *arguments], here, environ)
            print(f"{label}: {seconds:.3f} s CPU, {seconds - floor:.3f} s over the floor (target ≤ 0.3 s)")


if __name__ == "__main__":
    main()

"""Run the benchmarks: `python -m tests.benchmarks [NAME ...]` (every one, or those whose module
name contains a NAME: `python -m tests.benchmarks gather import`).

Each module named bench_*.py exposes `main() -> None` and prints its own figures, with ratios
against a reference measured in the same process, so numbers compare across machines. Each runs
in its own process, one after the other: a benchmark's threads, pools and imports cannot slow the
next (gather forks worker processes, which is slow while another benchmark's threads live), and
every figure it prints carries the machine's 1-minute load average (tests/benchmarks/load.py).
Extra arguments after `--` go to every benchmark run (`-- --million` for bench_import).
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

from tests.benchmarks.load import load_average, stamped_stdout

_ONE = "--one"
"""How the runner starts a benchmark in its own process: `python -m tests.benchmarks --one NAME`."""


def benchmark_names(wanted: list[str]) -> list[str]:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    return [n for n in names if not wanted or any(w in n for w in wanted)]


def run_one(name: str, extra: list[str]) -> None:
    """In the benchmark's own process: its figures stamped with the load, its arguments in argv."""
    stamped_stdout()
    sys.argv = [name, *extra]
    importlib.import_module(f"tests.benchmarks.{name}").main()
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    if argv[:1] == [_ONE]:
        run_one(argv[1], argv[2:])
        return 0
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    wanted = argv[: argv.index("--")] if "--" in argv else argv
    names = benchmark_names(wanted)
    if not names:
        print(f"no benchmark matches {' '.join(wanted)}", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"\n== {name} ==  {load_average()}", flush=True)
        root = Path(__file__).resolve().parent.parent.parent
        child = subprocess.run([sys.executable, "-m", "tests.benchmarks", _ONE, name, *extra], cwd=root)
        if child.returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

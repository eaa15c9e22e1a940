"""The machine's load beside every figure a benchmark prints: on a shared machine a figure read
without it misleads (the same run is several times slower at load 6 than at load 0.5).

`stamped_stdout()` wraps the benchmark process's stdout so that each printed line with a number
in it ends with `[load 1.23]`, the 1-minute load average (os.getloadavg) when it was printed.
The runner (tests/benchmarks/__main__.py) installs it in every benchmark's own process, so the
bench_*.py modules print as usual.
"""

from __future__ import annotations

import io
import os
import re
import sys
from typing import TextIO

_FIGURE = re.compile(r"\d")


def load_average() -> str:
    return f"[load {os.getloadavg()[0]:.2f}]"


class LoadStampedLines(io.TextIOBase):
    """A text stream that appends the load average to every complete line holding a figure."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self.out.write(f"{line}  {load_average()}\n" if _FIGURE.search(line) else f"{line}\n")
        self.out.flush()
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.write("\n")
        self.out.flush()


def stamped_stdout() -> None:
    """From here on, this process's printed figures carry the load average."""
    sys.stdout = LoadStampedLines(sys.stdout)  # type: ignore[assignment]

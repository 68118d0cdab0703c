"""Run camrig's benchmarks and print each result as a ratio against a baseline measured in the same run.

    python benchmarks/run.py [--quick] [NAME ...]

Each ``benchmarks/bench_*.py`` defines ``run(quick: bool) -> list[Result]``. Timings interleave candidate and
baseline repeats (so drift on a shared machine hits both alike) and report medians. Nothing here passes or
fails on time: targets are printed next to the measured ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Result:
    name: str
    ratio: float
    """Candidate over baseline (time or memory)."""
    target: str
    """e.g. '<= 1.02'."""
    detail: str
    """Absolute numbers, for context."""

    def met(self) -> bool:
        op, value = self.target.split()
        return self.ratio <= float(value) if op == "<=" else self.ratio >= float(value)


def interleaved_times(
    candidate: Callable[[], object], baseline: Callable[[], object], repeats: int
) -> tuple[list[float], list[float]]:
    """Seconds of each run of ``candidate`` and ``baseline``, run alternately ``repeats`` times each (after one
    warm-up of each)."""
    candidate(), baseline()
    c: list[float] = []
    b: list[float] = []
    for _ in range(repeats):
        for fn, out in ((candidate, c), (baseline, b)):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return c, b


def interleaved(candidate: Callable[[], object], baseline: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median seconds of ``candidate`` and ``baseline`` (:func:`interleaved_times`)."""
    c, b = interleaved_times(candidate, baseline, repeats)
    return statistics.median(c), statistics.median(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmark modules to run (e.g. routing sensor); default all")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    failed = []
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if args.names and name not in args.names:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        print(f"== {name}", flush=True)
        try:
            spec.loader.exec_module(module)
            for r in module.run(args.quick):
                verdict = "met" if r.met() else "MISSED"
                print(f"  {r.name}: ratio {r.ratio:.3f} (target {r.target}: {verdict})  {r.detail}", flush=True)
        except Exception:
            traceback.print_exc()
            failed.append(name)
    if failed:
        print(f"benchmarks that crashed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

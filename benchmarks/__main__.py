"""Run the benchmark scenarios: ``python -m benchmarks [SCENARIO ...] [--rounds N]``.

Scenarios are discovered as ``benchmarks/bench_<name>.py`` modules exposing ``SCENARIO``,
so adding one is adding one file (plus its ``recio_<name>.py``/``ref_<name>.py`` sides).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from benchmarks._harness import BENCH_DIR, DEFAULT_DATA_DIR, BenchmarkError, Scenario, run_scenario


def discover() -> dict[str, Scenario]:
    """Every ``bench_<name>.py`` in this folder, by scenario name, in file-name order."""
    found: dict[str, Scenario] = {}
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        module = importlib.import_module(f"benchmarks.{path.stem}")
        scenario: Scenario = module.SCENARIO
        found[scenario.name] = scenario
    return found


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the chosen scenarios, return the exit status.

    The status is 1 when a side failed or did wrong work, and with ``--strict`` also when
    a target ratio is not reached; otherwise 0 (a benchmark below target is a finding, not
    a crash).
    """
    scenarios = discover()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help=f"default: all of {list(scenarios)}"
    )
    parser.add_argument("--rounds", type=int, help="rounds per case (default: the scenario's)")
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="data and results folder"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--list", action="store_true", help="list scenarios and exit")
    args = parser.parse_args(argv)

    if args.list:
        for name, s in scenarios.items():
            print(f"{name}: {s.description}")
        return 0
    unknown = [n for n in args.scenarios if n not in scenarios]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; known: {list(scenarios)}")

    status = 0
    for name in args.scenarios or list(scenarios):
        try:
            rows = run_scenario(scenarios[name], args.data_dir.resolve(), args.rounds)
        except BenchmarkError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            status = 1
            continue
        bad = {"ERROR", "below"} if args.strict else {"ERROR"}
        if any(r.verdict in bad for r in rows):
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())

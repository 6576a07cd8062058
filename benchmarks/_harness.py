"""Benchmark harness: runs each case on recio and on its baselines, interleaved, and compares.

Why it is built this way:

* **Both implementations run out of process, symmetrically.** recio runs in a worker
  subprocess of the current interpreter (recio's venv), MXNet in a worker subprocess of
  the reference interpreter (``RECIO_MXNET_PYTHON``, default ``.venv-mxnet/bin/python``).
  Both workers are started once per scenario and kept alive, so neither side pays start-up
  inside a measurement and both see the same page cache and the same (warm) interpreter
  state. The scenario's side scripts are ``benchmarks/recio_<scenario>.py`` and
  ``benchmarks/ref_<scenario>.py``; see ``_worker.py`` for the protocol.
* **Sides are interleaved.** Every round measures every case on every side back to back,
  rotating which side goes first, so that slow drifts of this noisy 2-core machine hit all
  sides alike. The reported rate of a side is its best round (least disturbed run); the
  median is kept in the JSON results too.
* **Equal work is checked, not assumed.** Each case states how many records and bytes the
  measured operation must process; a side reporting anything else is an error. An optional
  correctness check (e.g. a CRC of everything read) runs once per side, untimed.
* **External baselines** (``cat FILE > /dev/null``) are timed by the harness itself; the
  fork/exec cost of the command, measured on an empty input, is subtracted, which only
  makes the baseline faster (i.e. the comparison stricter for recio).

A scenario is a module ``benchmarks/bench_<name>.py`` exposing ``SCENARIO``, an object with
a ``name``, a ``description``, default ``rounds`` and ``prepare(ctx) -> list[Case]``.
"""

from __future__ import annotations

import json
import os
import platform
import queue
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from benchmarks._worker import RESULT_PREFIX

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = REPO_ROOT / "bench-data"
DEFAULT_TIMEOUT_S = 300.0

Unit = Literal["records/s", "GB/s"]

RECIO = "recio"
MXNET = "mxnet"
CAT = "cat"


class BenchmarkError(RuntimeError):
    """A side failed, timed out, or did different work than the case requires."""


@dataclass(frozen=True)
class Baseline:
    """A side recio is compared against, and the recio/baseline rate ratio it must reach.

    ``target=None`` means the row is reported for context only.
    """

    side: str
    target: float | None


@dataclass(frozen=True)
class Check:
    """An untimed correctness request run once per worker side before measuring.

    The worker's result must contain every key of ``expected`` with an equal value.
    """

    op: str
    params: Mapping[str, Any]
    expected: Mapping[str, Any]


@dataclass(frozen=True)
class Case:
    """One measured operation, run identically on recio and on each baseline.

    ``op``/``params`` form the request sent to worker sides; ``command`` is the argv timed
    for the ``cat`` side. ``items`` and ``nbytes`` are the records and bytes every side must
    report having processed. ``warm`` lists files read once into the page cache first.
    """

    name: str
    op: str
    params: Mapping[str, Any]
    unit: Unit
    items: int
    nbytes: int
    baselines: tuple[Baseline, ...]
    command: tuple[str, ...] = ()
    warm: tuple[Path, ...] = ()
    check: Check | None = None
    description: str = ""

    @property
    def sides(self) -> tuple[str, ...]:
        """recio first, then every baseline side (each once)."""
        out = [RECIO]
        for b in self.baselines:
            if b.side not in out:
                out.append(b.side)
        return tuple(out)

    def rate(self, m: Measurement) -> float:
        """The case's figure of merit for one measurement, in ``self.unit``."""
        if self.unit == "records/s":
            return m.items / m.seconds
        return m.nbytes / m.seconds / 1e9


@dataclass(frozen=True)
class Measurement:
    """What one side reports for one run of a case."""

    seconds: float
    items: int
    nbytes: int
    peak_mb: float | None = None  # the side's peak resident memory, when it reports one


class Scenario(Protocol):
    """What a ``bench_<name>.py`` module exposes as ``SCENARIO``."""

    name: str
    description: str
    rounds: int

    def prepare(self, ctx: Context) -> list[Case]:
        """Create (or reuse) the data files and return the cases to measure."""
        ...


class WorkerSide:
    """A long-lived worker subprocess speaking the ``_worker.py`` line protocol."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.name = name
        self.argv = list(argv)
        self._proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # inherited: library warnings stay visible
            cwd=REPO_ROOT,
            env=dict(env),
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            if line.startswith(RESULT_PREFIX):
                self._lines.put(line[len(RESULT_PREFIX) :])
            else:  # a library printed on stdout; pass it through
                sys.stderr.write(f"[{self.name}] {line}")
        self._lines.put(None)

    def call(
        self, op: str, params: Mapping[str, Any], timeout: float = DEFAULT_TIMEOUT_S
    ) -> dict[str, Any]:
        """Send one request and wait for its answer; raise on error, timeout or exit."""
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps({"op": op, "params": dict(params)}) + "\n")
            self._proc.stdin.flush()
        except BrokenPipeError as exc:
            raise BenchmarkError(f"{self.name} worker exited ({self.argv})") from exc
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.close(kill=True)
            raise BenchmarkError(f"{self.name}: {op} took more than {timeout:.0f} s") from None
        if line is None:
            raise BenchmarkError(f"{self.name} worker exited ({self.argv})")
        reply = json.loads(line)
        if not reply["ok"]:
            raise BenchmarkError(f"{self.name}: {op} failed:\n{reply['error']}")
        result: dict[str, Any] = reply["result"]
        return result

    def measure(self, case: Case) -> Measurement:
        """Run the case's op once and return what the worker timed."""
        r = self.call(case.op, case.params)
        peak = r.get("peak_mb")
        return Measurement(
            float(r["seconds"]),
            int(r["items"]),
            int(r["nbytes"]),
            None if peak is None else float(peak),
        )

    def close(self, kill: bool = False) -> None:
        """Stop the worker: close its stdin (it then exits) or kill it."""
        if self._proc.poll() is not None:
            return
        if kill:
            self._proc.kill()
        else:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


class CommandSide:
    """Times an external command (``case.command``) with its output sent to /dev/null.

    The cost of starting the command (the same program on an empty input, best of three,
    measured right before) is subtracted so that only the data transfer is compared.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    @staticmethod
    def _time(argv: Sequence[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - t0

    def measure(self, case: Case) -> Measurement:
        """Run ``case.command`` once; report the case's expected work (it cannot count)."""
        if not case.command:
            raise BenchmarkError(f"case {case.name} has no command for side {self.name}")
        overhead = min(self._time([case.command[0], "/dev/null"]) for _ in range(3))
        elapsed = self._time(case.command)
        return Measurement(max(elapsed - overhead, 1e-9), case.items, case.nbytes)

    def close(self, kill: bool = False) -> None:
        """Nothing to stop."""


Side = WorkerSide | CommandSide


def mxnet_python() -> str:
    """The reference interpreter: ``$RECIO_MXNET_PYTHON`` or ``.venv-mxnet/bin/python``."""
    path = os.environ.get("RECIO_MXNET_PYTHON") or str(REPO_ROOT / ".venv-mxnet/bin/python")
    if not Path(path).exists():
        raise BenchmarkError(f"reference python not found: {path} (run `make reference`)")
    return path


@dataclass
class Context:
    """What a scenario's ``prepare`` gets: its data folder and its (lazily started) sides."""

    scenario: str
    data_dir: Path
    _sides: dict[str, Side] = field(default_factory=dict)

    def side(self, name: str) -> Side:
        """The side called ``name`` (recio, mxnet or cat), started on first use."""
        if name not in self._sides:
            self._sides[name] = self._start(name)
        return self._sides[name]

    def worker(self, name: str) -> WorkerSide:
        """The worker side called ``name`` (recio or mxnet)."""
        side = self.side(name)
        if not isinstance(side, WorkerSide):
            raise BenchmarkError(f"side {name} is not a worker")
        return side

    def _start(self, name: str) -> Side:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("PYTHONPATH", None)  # each venv must import only its own packages
        if name == CAT:
            return CommandSide(name)
        if name == RECIO:
            python, script = sys.executable, BENCH_DIR / f"recio_{self.scenario}.py"
        elif name == MXNET:
            python, script = mxnet_python(), BENCH_DIR / f"ref_{self.scenario}.py"
        else:
            raise BenchmarkError(f"unknown side {name!r}")
        side = WorkerSide(name, [python, str(script)], env)
        side.call("ping", {}, timeout=120)  # wait for imports before anything is timed
        return side

    def close(self) -> None:
        """Stop every started side."""
        for side in self._sides.values():
            side.close()
        self._sides.clear()


@dataclass
class Row:
    """One line of the result table: a case compared with one baseline."""

    case: str
    unit: Unit
    baseline: str
    target: float | None
    recio_best: float | None = None
    baseline_best: float | None = None
    ratio_best: float | None = None
    ratio_median: float | None = None
    verdict: str = ""
    error: str = ""
    peaks: dict[str, float] = field(default_factory=dict)  # side -> peak memory in MB


def warm_cache(paths: Sequence[Path]) -> None:
    """Read each file once (``cat > /dev/null``) so that every side starts from page cache."""
    for path in paths:
        subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)


def run_checks(ctx: Context, case: Case) -> dict[str, str]:
    """Run the case's correctness check on each worker side; map side -> problem."""
    problems: dict[str, str] = {}
    if case.check is None:
        return problems
    for name in case.sides:
        side = ctx.side(name)
        if not isinstance(side, WorkerSide):
            continue
        try:
            got = side.call(case.check.op, case.check.params)
        except BenchmarkError as exc:
            problems[name] = str(exc)
            continue
        bad = {k: (got.get(k), v) for k, v in case.check.expected.items() if got.get(k) != v}
        if bad:
            problems[name] = "check failed: " + ", ".join(
                f"{k}={g!r} (expected {e!r})" for k, (g, e) in bad.items()
            )
    return problems


def measure_cases(
    ctx: Context, cases: Sequence[Case], rounds: int
) -> tuple[dict[str, dict[str, list[Measurement]]], dict[str, dict[str, str]]]:
    """Run every case on every side, ``rounds`` times, interleaving sides and rotating order.

    Returns the measurements per case and side, and the errors per case and side (a side
    with an error is not measured again for that case).
    """
    runs: dict[str, dict[str, list[Measurement]]] = {
        c.name: {s: [] for s in c.sides} for c in cases
    }
    errors: dict[str, dict[str, str]] = {c.name: run_checks(ctx, c) for c in cases}
    for r in range(rounds):
        for case in cases:
            order = list(case.sides)
            k = r % len(order)
            order = order[k:] + order[:k]
            for name in order:
                if name in errors[case.name]:
                    continue
                try:
                    m = ctx.side(name).measure(case)
                except BenchmarkError as exc:
                    errors[case.name][name] = str(exc)
                    continue
                if (m.items, m.nbytes) != (case.items, case.nbytes):
                    errors[case.name][name] = (
                        f"did different work: {m.items} records / {m.nbytes} bytes, "
                        f"expected {case.items} / {case.nbytes}"
                    )
                    continue
                runs[case.name][name].append(m)
        done = f"round {r + 1}/{rounds}"
        print(f"  {ctx.scenario}: {done} finished", file=sys.stderr, flush=True)
    return runs, errors


def summarize(
    cases: Sequence[Case],
    runs: Mapping[str, Mapping[str, list[Measurement]]],
    errors: Mapping[str, Mapping[str, str]],
) -> list[Row]:
    """Turn measurements into table rows: best rates, best and median ratios, verdicts."""
    rows: list[Row] = []
    for case in cases:
        rates = {s: [case.rate(m) for m in ms] for s, ms in runs[case.name].items()}
        for b in case.baselines:
            row = Row(case.name, case.unit, b.side, b.target)
            bad = {s: e for s, e in errors[case.name].items() if s in (RECIO, b.side)}
            if rates[RECIO]:
                row.recio_best = max(rates[RECIO])
            if rates[b.side]:
                row.baseline_best = max(rates[b.side])
            if row.recio_best is not None and row.baseline_best is not None:
                row.ratio_best = row.recio_best / row.baseline_best
                row.ratio_median = statistics.median(rates[RECIO]) / statistics.median(
                    rates[b.side]
                )
            for side in (RECIO, b.side):
                peaks = [m.peak_mb for m in runs[case.name].get(side, []) if m.peak_mb]
                if peaks:
                    row.peaks[side] = max(peaks)
            if bad:
                row.verdict = "ERROR"
                row.error = "; ".join(f"{s}: {e}" for s, e in bad.items())
            elif b.target is None or row.ratio_best is None:
                row.verdict = "-"
            else:
                row.verdict = "PASS" if row.ratio_best >= b.target else "below"
            rows.append(row)
    return rows


def _fmt_rate(value: float | None, unit: Unit) -> str:
    if value is None:
        return "n/a"
    if unit == "records/s":
        return f"{value / 1e6:.3f} M/s" if value >= 1e5 else f"{value:,.0f}/s"
    return f"{value:.2f} GB/s"


def format_table(scenario: str, rows: Sequence[Row]) -> str:
    """The human-readable result table (one line per case and baseline)."""
    header = ("scenario", "case", "recio", "baseline", "ratio", "target", "result")
    lines = [header]
    for row in rows:
        lines.append(
            (
                scenario,
                row.case,
                _fmt_rate(row.recio_best, row.unit),
                f"{_fmt_rate(row.baseline_best, row.unit)} ({row.baseline})",
                "n/a" if row.ratio_best is None else f"{row.ratio_best:.2f}x",
                "-" if row.target is None else f">= {row.target:g}x",
                row.verdict,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    for row in rows:
        if row.peaks:
            peaks = ", ".join(f"{side} {mb:,.0f} MB" for side, mb in row.peaks.items())
            out.append(f"  {row.case}: peak memory {peaks}")
        if row.error:
            out.append(f"  ! {row.case} vs {row.baseline}: {row.error}")
    return "\n".join(out)


def write_json(
    path: Path,
    scenario: Scenario,
    cases: Sequence[Case],
    rounds: int,
    runs: Mapping[str, Mapping[str, list[Measurement]]],
    rows: Sequence[Row],
) -> None:
    """Write everything measured (raw seconds per round and side) plus the summary."""
    doc = {
        "scenario": scenario.name,
        "description": scenario.description,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rounds": rounds,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "mxnet_python": mxnet_python(),
        },
        "cases": {
            c.name: {
                "description": c.description,
                "unit": c.unit,
                "items": c.items,
                "nbytes": c.nbytes,
                "seconds": {s: [m.seconds for m in ms] for s, ms in runs[c.name].items()},
            }
            for c in cases
        },
        "rows": [r.__dict__ for r in rows],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")


def run_scenario(
    scenario: Scenario, data_dir: Path = DEFAULT_DATA_DIR, rounds: int | None = None
) -> list[Row]:
    """Prepare, measure, print and save one scenario; return its table rows."""
    n_rounds = rounds or scenario.rounds
    ctx = Context(scenario.name, data_dir / scenario.name)
    ctx.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        cases = scenario.prepare(ctx)
        warm_cache(sorted({p for c in cases for p in c.warm}))
        print(f"  {scenario.name}: prepared in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        runs, errors = measure_cases(ctx, cases, n_rounds)
    finally:
        ctx.close()
    rows = summarize(cases, runs, errors)
    print(format_table(scenario.name, rows), flush=True)
    out = data_dir / "results" / f"{scenario.name}.json"
    write_json(out, scenario, cases, n_rounds, runs, rows)
    print(f"results: {out}", flush=True)
    return rows

"""CSVIter scenario: recio.io.CSVIter against mxnet.io.CSVIter on the same CSV files.

Case (target: recio/MXNet rows/s ratio the project aims for):

* ``float32/b256``  200,000 rows x 32 float32 values ('%.7g' of standard normals) with a
  one-column integer label file, batch_size 256, round_batch on (the default), one
  epoch: build the iterator, take every batch (``wait_to_read()`` on its data), close.
  rows/s, >= 3x MXNet.

The data is generated deterministically (numpy PCG64, fixed seed) by the harness and kept
in ``bench-data/csv_iter/`` while its manifest matches. An untimed check compares every
row each side reads with the generated values (MXNet's own float parser is not correctly
rounded, hence a tolerance) and the labels exactly.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks._harness import MXNET, Baseline, Case, Check, Context

FORMAT_VERSION = 1  # bump to regenerate the data after changing how it is made


@dataclass(frozen=True)
class DataSpec:
    """How the CSV files are generated; a change regenerates them."""

    rows: int
    cols: int
    seed: int
    fmt: str = "%.7g"
    version: int = FORMAT_VERSION


def build(ctx: Context, spec: DataSpec) -> dict[str, Path]:
    """Write (or reuse) data.csv, label.csv and the expected values as .npy."""
    d = ctx.data_dir
    files = {
        "data": d / "data.csv",
        "label": d / "label.csv",
        "expected": d / "expected.npy",
        "expected_labels": d / "expected_labels.npy",
    }
    manifest = d / "manifest.json"
    fresh = manifest.exists() and all(p.exists() for p in files.values())
    if fresh and json.loads(manifest.read_text()).get("spec") == asdict(spec):
        return files
    rng = np.random.default_rng(spec.seed)
    values = rng.standard_normal((spec.rows, spec.cols)).astype(np.float32)
    labels = rng.integers(0, 10, spec.rows)
    np.savetxt(files["data"], values, fmt=spec.fmt, delimiter=",")
    np.savetxt(files["label"], labels, fmt="%d")
    # what a correct parser reads back from the text
    np.save(files["expected"], np.loadtxt(files["data"], delimiter=",", dtype=np.float32))
    np.save(files["expected_labels"], labels.astype(np.float32))
    manifest.write_text(json.dumps({"spec": asdict(spec)}, indent=2) + "\n")
    return files


@dataclass(frozen=True)
class CSVIterScenario:
    """The CSVIter scenario; sizes are parameters so a quick variant is easy to make."""

    name: str = "csv_iter"
    description: str = "recio.io.CSVIter vs mxnet.io.CSVIter: 200k x 32 floats, labels"
    rounds: int = 7
    rows: int = 200_000
    cols: int = 32
    batch_size: int = 256

    def prepare(self, ctx: Context) -> list[Case]:
        files = build(ctx, DataSpec(self.rows, self.cols, seed=20240611))
        nbytes = files["data"].stat().st_size + files["label"].stat().st_size
        params = {
            "data": str(files["data"]),
            "label": str(files["label"]),
            "data_shape": [self.cols],
            "batch_size": self.batch_size,
            "nbytes": nbytes,
        }
        check_params = {
            **params,
            "expected": str(files["expected"]),
            "expected_labels": str(files["expected_labels"]),
            "tolerance": 1e-6,
        }
        return [
            Case(
                name=f"float32/b{self.batch_size}",
                op="iterate",
                params=params,
                unit="records/s",
                items=self.rows,
                nbytes=nbytes,
                baselines=(Baseline(MXNET, 3.0),),
                warm=(files["data"], files["label"]),
                check=Check(
                    "check", check_params, {"rows": self.rows, "close": True, "label_errors": 0}
                ),
                description="CSVIter over 200k rows x 32 floats + labels, batch 256, one epoch",
            )
        ]


SCENARIO = CSVIterScenario()

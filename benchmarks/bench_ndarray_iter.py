"""NDArrayIter scenario: recio.io.NDArrayIter against mxnet.io.NDArrayIter on the same arrays.

Cases (target: recio/MXNet rows/s ratio the project aims for):

* ``shuffle/b256``     200,000 rows x 32 float32 (standard normals) with a float32 label
  per row, batch_size 256, ``shuffle=True``, the default ``last_batch_handle='pad'``:
  build the iterator, then three epochs (``reset()`` between them), taking every batch
  (``wait_to_read()`` on data and label). rows/s (real rows, padding not counted),
  >= 2x MXNet.
* ``sequential/b256``  the same without shuffle, for context (no target).

The arrays are generated deterministically (numpy PCG64, fixed seed) and kept as .npy in
``bench-data/ndarray_iter/``; each worker loads them once, before any timing, so both
sides start from the same in-memory float32 arrays. The label of a row is its row number,
which lets the untimed check verify that every epoch is a permutation of the rows and
that each batch's data rows match their labels.
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
    """How the arrays are generated; a change regenerates them."""

    rows: int
    cols: int
    seed: int
    version: int = FORMAT_VERSION


def build(ctx: Context, spec: DataSpec) -> dict[str, Path]:
    """Write (or reuse) data.npy (rows x cols float32) and label.npy (the row numbers)."""
    d = ctx.data_dir
    files = {"data": d / "data.npy", "label": d / "label.npy"}
    manifest = d / "manifest.json"
    fresh = manifest.exists() and all(p.exists() for p in files.values())
    if fresh and json.loads(manifest.read_text()).get("spec") == asdict(spec):
        return files
    rng = np.random.default_rng(spec.seed)
    np.save(files["data"], rng.standard_normal((spec.rows, spec.cols)).astype(np.float32))
    np.save(files["label"], np.arange(spec.rows, dtype=np.float32))
    manifest.write_text(json.dumps({"spec": asdict(spec)}, indent=2) + "\n")
    return files


@dataclass(frozen=True)
class NDArrayIterScenario:
    """The NDArrayIter scenario; sizes are parameters so a quick variant is easy to make."""

    name: str = "ndarray_iter"
    description: str = "recio.io.NDArrayIter vs mxnet.io.NDArrayIter: 200k x 32 float32, shuffle"
    rounds: int = 7
    rows: int = 200_000
    cols: int = 32
    batch_size: int = 256
    epochs: int = 3

    def prepare(self, ctx: Context) -> list[Case]:
        files = build(ctx, DataSpec(self.rows, self.cols, seed=20240612))
        nbytes = self.epochs * self.rows * (self.cols + 1) * 4
        cases = []
        for shuffle, target in ((True, 2.0), (False, None)):
            params = {
                "data": str(files["data"]),
                "label": str(files["label"]),
                "batch_size": self.batch_size,
                "shuffle": shuffle,
                "epochs": self.epochs,
                "nbytes": nbytes,
            }
            what = "shuffled" if shuffle else "in order"
            cases.append(
                Case(
                    name=f"{'shuffle' if shuffle else 'sequential'}/b{self.batch_size}",
                    op="iterate",
                    params=params,
                    unit="records/s",
                    items=self.epochs * self.rows,
                    nbytes=nbytes,
                    baselines=(Baseline(MXNET, target),),
                    check=Check(
                        "check",
                        params,
                        {"rows": self.epochs * self.rows, "permutations": True, "aligned": True},
                    ),
                    description=(
                        f"NDArrayIter over 200k rows x 32 float32 + labels, batch 256, "
                        f"{what}, {self.epochs} epochs"
                    ),
                )
            )
        return cases


SCENARIO = NDArrayIterScenario()

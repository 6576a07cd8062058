"""Detection image iterator scenario: mx.image.ImageDetIter against MXNet 1.9.1's.

Data: the im2rec scenario's 2,000 ImageNet-like JPEGs (short side 300-500, quality 90,
cut from scikit-image's photographs; ``bench_im2rec.build_images``), packed as they are
into one .rec/.idx with generated detection labels in MXNet's layout
``[2, 5, cls, xmin, ymin, xmax, ymax, ...]``: 1 to 6 objects per image, classes 0-19,
boxes of 5-60% of each side anywhere in the image (seed fixed).

Case (images/s over one epoch, the iterator's construction and its pass over every label
included; batch 32, data_shape (3, 300, 300)):

* ``det_image_iter``  ``mx.image.ImageDetIter(rand_crop=0.5, rand_pad=0.5,
  rand_mirror=True, mean=True, std=True)`` (CreateDetAugmenter's crop sampler, pad and
  flip) over the .rec and .idx, target >= 5x MXNet's Python ImageDetIter (recio runs the
  per-image work on 2 threads, MXNet's iterator on one, as it is).

An untimed check reads every image on each side and checks shapes and that every label
row is an object of a known class or -1 padding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks._harness import MXNET, Baseline, Case, Check, Context
from benchmarks.bench_im2rec import ImageSpec, build_images

LABEL_VERSION = 1  # bump to regenerate the records after changing how boxes are made


def boxes_for(index: int, seed: int = 7) -> np.ndarray:
    """The objects of image `index`: (n, 5) float32 rows [cls, xmin, ymin, xmax, ymax]."""
    rng = np.random.default_rng((seed, index))
    n = int(rng.integers(1, 7))
    size = rng.uniform(0.05, 0.6, (n, 2))
    corner = rng.uniform(0, 1, (n, 2)) * (1 - size)
    cls = rng.integers(0, 20, (n, 1)).astype(np.float64)
    return np.hstack([cls, corner, corner + size]).astype(np.float32)


def build_rec(ctx: Context, root: Path) -> Path:
    """Pack every JPEG under `root` as it is with generated boxes; reused if present."""
    rec = ctx.data_dir / f"det_v{LABEL_VERSION}.rec"
    if rec.exists() and rec.with_suffix(".idx").exists():
        return rec
    from recio import recordio

    files = sorted(root.rglob("*.jpg"))
    tmp = rec.with_suffix(".tmp")
    with recordio.MXIndexedRecordIO(str(tmp.with_suffix(".idx.tmp")), str(tmp), "w") as w:
        for i, path in enumerate(files):
            label = np.concatenate([[2, 5], boxes_for(i).ravel()]).astype(np.float32)
            w.write_idx(i, recordio.pack(recordio.IRHeader(0, label, i, 0), path.read_bytes()))
    tmp.with_suffix(".idx.tmp").rename(rec.with_suffix(".idx"))
    tmp.rename(rec)
    return rec


@dataclass(frozen=True)
class DetImageIterScenario:
    name: str = "det_image_iter"
    description: str = "ImageDetIter (crop + pad + flip) vs MXNet 1.9.1, 2000 JPEGs, 2 threads"
    rounds: int = 3
    spec: ImageSpec = field(default_factory=ImageSpec)
    batch_size: int = 32

    def prepare(self, ctx: Context) -> list[Case]:
        root = build_images(ctx, self.spec)
        rec = build_rec(ctx, root)
        count = self.spec.count
        nbytes = rec.stat().st_size
        params = {
            "rec": str(rec),
            "idx": str(rec.with_suffix(".idx")),
            "batch": self.batch_size,
            "nbytes": nbytes,
        }
        return [
            Case(
                name="det_image_iter",
                op="iterate",
                params=params,
                unit="records/s",
                items=count,
                nbytes=nbytes,
                baselines=(Baseline(MXNET, 5.0),),
                warm=(rec,),
                check=Check("check", params, {"images": count, "bad_rows": 0}),
                description=f"ImageDetIter crop+pad+flip over {count} JPEGs, batch "
                f"{self.batch_size}",
            )
        ]


SCENARIO = DetImageIterScenario()

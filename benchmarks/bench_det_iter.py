"""Detection scenario: ImageDetRecordIter with mirror, crop samplers and pad against MXNet.

Data: the im2rec scenario's 2,000 ImageNet-like JPEGs (short side 300-500, quality 90,
cut from scikit-image's photographs; ``bench_im2rec.build_images``), packed as they are
into one .rec/.idx with generated detection labels: 1-6 objects per image, class 0-19,
boxes of 10-60% of each side (seeded), in MXNet's layout ``[2, 5, cls, xmin, ymin, xmax,
ymax, ...]``. Both sides read the same file.

Cases (images/s over one epoch, the iterator's construction included; 2 threads,
``data_shape=(3, 300, 300)``, batch 32, mean/std normalisation):

* ``det/ssd``    the augmentation of MXNet's SSD example: ``rand_mirror_prob=0.5``, five
  crop samplers (scale 0.3-1, aspect 0.5-2, minimum IoU 0.1/0.3/0.5/0.7/0.9, 25 trials
  each) with ``rand_crop_prob=0.833``, ``rand_pad_prob=0.5``, ``max_pad_scale=4``;
  target >= 3x MXNet.
* ``det/plain``  no augmentation, only the fit to 300x300 (context).

MXNet 1.9.1's parser uses at most ``cores - 1`` decoding threads (one on this 2-core
machine); recio uses the two asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks._harness import MXNET, Baseline, Case, Check, Context
from benchmarks.bench_im2rec import ImageSpec, build_images

LABEL_SEED = 2024


def make_labels(count: int, seed: int = LABEL_SEED) -> list[list[float]]:
    """`count` detection labels ``[2, 5, cls, xmin, ymin, xmax, ymax, ...]`` (seeded)."""
    rng = np.random.default_rng(seed)
    labels = []
    for _ in range(count):
        label = [2.0, 5.0]
        for _ in range(int(rng.integers(1, 7))):
            w, h = rng.uniform(0.1, 0.6, 2)
            x, y = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
            label += [float(rng.integers(0, 20)), x, y, x + w, y + h]
        labels.append(label)
    return labels


def build_rec(ctx: Context, root: Path) -> tuple[Path, int]:
    """Pack every JPEG under `root` as it is with a generated label; reused if present.

    Returns the .rec and the widest label (values), which sets the label row width.
    """
    files = sorted(root.rglob("*.jpg"))
    labels = make_labels(len(files))
    widest = max(len(label) for label in labels)
    rec = ctx.data_dir / "det.rec"
    if rec.exists() and rec.with_suffix(".idx").exists():
        return rec, widest
    from recio import recordio

    tmp = rec.with_suffix(".tmp")
    with recordio.MXIndexedRecordIO(str(tmp.with_suffix(".idx.tmp")), str(tmp), "w") as w:
        for i, (path, label) in enumerate(zip(files, labels, strict=True)):
            header = recordio.IRHeader(0, np.array(label, np.float32), i, 0)
            w.write_idx(i, recordio.pack(header, path.read_bytes()))
    tmp.with_suffix(".idx.tmp").rename(rec.with_suffix(".idx"))
    tmp.rename(rec)
    return rec, widest


@dataclass(frozen=True)
class DetIterScenario:
    name: str = "det_iter"
    description: str = "ImageDetRecordIter (mirror, crop samplers, pad) vs MXNet 1.9.1, 2 threads"
    rounds: int = 3
    spec: ImageSpec = field(default_factory=ImageSpec)
    batch_size: int = 32

    def prepare(self, ctx: Context) -> list[Case]:
        root = build_images(ctx, self.spec)
        rec, widest = build_rec(ctx, root)
        count = self.spec.count
        nbytes = rec.stat().st_size
        cases = []
        for name, kind, target in (("det/ssd", "ssd", 3.0), ("det/plain", "plain", None)):
            params = {"rec": str(rec), "batch": self.batch_size, "nbytes": nbytes, "kind": kind}
            cases.append(
                Case(
                    name=name,
                    op="iterate",
                    params=params,
                    unit="records/s",
                    items=count,
                    nbytes=nbytes,
                    baselines=(Baseline(MXNET, target),),
                    warm=(rec,),
                    check=Check("check", params, {"images": count, "label_width": widest + 4}),
                    description=f"{kind} over {count} JPEGs, batch {self.batch_size}",
                )
            )
        return cases


SCENARIO = DetIterScenario()

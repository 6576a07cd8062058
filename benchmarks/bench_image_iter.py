"""Image iterator scenario: ImageRecordIter, ImageRecordUInt8Iter and ImageIter against MXNet.

Data: the im2rec scenario's 2,000 ImageNet-like JPEGs (short side 300-500, quality 90,
cut from scikit-image's photographs; ``bench_im2rec.make_images``), packed as they are
(``--pass-through``: the records hold the original JPEGs) into one .rec/.idx that both
sides read.

Cases (images/s over one epoch, the iterator's construction included; 2 threads):

* ``record/float32``  ``ImageRecordIter(resize=256, rand_crop, rand_mirror,
  data_shape=(3, 224, 224), mean_r/g/b, std_r/g/b, batch_size=64, preprocess_threads=2)``,
  target >= 3x MXNet.
* ``record/uint8``    the same through ``ImageRecordUInt8Iter`` (no mean/std), >= 3x.
* ``image_iter``      ``mx.image.ImageIter(resize=256, rand_crop, rand_mirror, mean=True,
  std=True)`` over the .rec and .idx, batch 64, >= 5x MXNet's Python ImageIter (recio
  decodes on 2 threads, MXNet's runs on one, as it is).
* ``decode_ceiling``  OpenCV JPEG decode alone of every record on 2 threads, in each
  side's own venv (recio's OpenCV 5 vs the reference's 4.8.1): the ceiling to read the
  iterator rates against.

Each worker reports its peak resident memory (``ru_maxrss``) with every result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._harness import MXNET, Baseline, Case, Check, Context
from benchmarks.bench_im2rec import ImageSpec, build_images


def build_rec(ctx: Context, root: Path) -> Path:
    """Pack every JPEG under `root` as it is, label = class folder number; reused if present."""
    rec = ctx.data_dir / "images.rec"
    if rec.exists() and rec.with_suffix(".idx").exists():
        return rec
    from recio import recordio

    files = sorted(root.rglob("*.jpg"))
    tmp = rec.with_suffix(".tmp")
    with recordio.MXIndexedRecordIO(str(tmp.with_suffix(".idx.tmp")), str(tmp), "w") as w:
        for i, path in enumerate(files):
            label = float(int(path.parent.name[-2:]))
            w.write_idx(i, recordio.pack(recordio.IRHeader(0, label, i, 0), path.read_bytes()))
    tmp.with_suffix(".idx.tmp").rename(rec.with_suffix(".idx"))
    tmp.rename(rec)
    return rec


@dataclass(frozen=True)
class ImageIterScenario:
    name: str = "image_iter"
    description: str = "ImageRecordIter / UInt8 / ImageIter vs MXNet 1.9.1, 2000 JPEGs, 2 threads"
    rounds: int = 3
    spec: ImageSpec = field(default_factory=ImageSpec)
    batch_size: int = 64

    def prepare(self, ctx: Context) -> list[Case]:
        root = build_images(ctx, self.spec)
        rec = build_rec(ctx, root)
        count = self.spec.count
        nbytes = rec.stat().st_size
        common = {
            "rec": str(rec),
            "idx": str(rec.with_suffix(".idx")),
            "batch": self.batch_size,
            "nbytes": nbytes,
        }
        cases = []
        for name, kind, target in (
            ("record/float32", "record_float32", 3.0),
            ("record/uint8", "record_uint8", 3.0),
            ("image_iter", "image_iter", 5.0),
            ("decode_ceiling", "decode", None),
        ):
            params = {**common, "kind": kind}
            cases.append(
                Case(
                    name=name,
                    op="iterate",
                    params=params,
                    unit="records/s",
                    items=count,
                    nbytes=nbytes,
                    baselines=(Baseline(MXNET, target),),
                    check=Check("check", params, {"images": count}),
                    description=f"{kind} over {count} JPEGs, batch {self.batch_size}",
                )
            )
        return cases


SCENARIO = ImageIterScenario()

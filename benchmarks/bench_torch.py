"""torch scenario: ImageRecordIter through ``recio.torch`` vs the raw iterator and vs DataLoader.

Data: the image_iter scenario's recipe (``bench_im2rec.build_images``: 2,000 ImageNet-like
JPEGs, short side 300-500, quality 90), packed as they are into ``bench-data/torch/
images.rec`` (``bench_image_iter.build_rec``). Every side runs in recio's venv: the
baselines here are not MXNet.

Case ``record/float32`` (images/s over one shuffled epoch, batch 64, resize 256, random
crop 224, random mirror, ImageNet mean/std, float32 NCHW) against two baselines:

* ``iterator``: the same ``mx.io.ImageRecordIter`` (2 threads) read directly, no torch.
  recio's side wraps it in ``recio.torch.TorchIterable``; target >= 0.95x, i.e. the
  adapter costs at most 5%. Both sides build their iterator inside the timed region.
* ``dataloader``: ``torch.utils.data.DataLoader`` with 2 worker processes over the same
  .rec (``recio.torch.RecordDataset`` handing out the encoded bytes) decoding with PIL
  and transforming as torchvision's ``Resize(256)``, ``RandomCrop(224)``,
  ``RandomHorizontalFlip()``, ``ToTensor()``, ``Normalize(...)`` do (torchvision is not
  installed; ``dataloader_torch.py`` writes those steps with PIL and torch), batches
  collated by the default collate; target >= 3x. The DataLoader is built once with
  ``persistent_workers=True`` and warmed by the untimed check, so its worker start-up
  is *not* timed (stricter for recio, whose iterator construction is).

Case ``record/uint8``, for context (no target): the same without normalisation, uint8
NCHW (ImageRecordUInt8Iter; ``PILToTensor()`` in the DataLoader), as a training loop that
normalises on the GPU would read.

Worker scripts: ``recio_torch.py`` (recio's side; with ``--raw`` the ``iterator`` side)
and ``dataloader_torch.py``. Needs torch and Pillow (``pip install 'recio[torch]'
pillow``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass, field

from benchmarks._harness import (
    BENCH_DIR,
    Baseline,
    BenchmarkError,
    Case,
    Check,
    Context,
    WorkerSide,
)
from benchmarks.bench_im2rec import ImageSpec, build_images
from benchmarks.bench_image_iter import build_rec

ITERATOR = "iterator"
DATALOADER = "dataloader"


def start_local_side(ctx: Context, name: str, script: str, *args: str) -> None:
    """Start a worker side named `name` running `script` under recio's interpreter.

    The harness starts the ``recio`` and ``mxnet`` sides itself; this scenario's baselines
    also live in recio's venv, so they are registered in the context's sides directly
    (same environment rules as ``Context._start``: unbuffered, no PYTHONPATH).
    """
    if name in ctx._sides:
        return
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONPATH", None)
    side = WorkerSide(name, [sys.executable, str(BENCH_DIR / script), *args], env)
    ctx._sides[name] = side
    side.call("ping", {}, timeout=120)  # wait for imports before anything is timed


@dataclass(frozen=True)
class TorchScenario:
    name: str = "torch"
    description: str = (
        "ImageRecordIter via recio.torch vs the raw iterator and vs DataLoader(2 workers, PIL)"
    )
    rounds: int = 7  # the 5% overhead target is below this machine's round-to-round noise
    spec: ImageSpec = field(default_factory=ImageSpec)
    batch_size: int = 64

    def prepare(self, ctx: Context) -> list[Case]:
        for module, extra in (("torch", "'recio[torch]'"), ("PIL", "pillow")):
            if importlib.util.find_spec(module) is None:
                raise BenchmarkError(f"the torch scenario needs {module}: pip install {extra}")
        root = build_images(ctx, self.spec)
        rec = build_rec(ctx, root)
        start_local_side(ctx, ITERATOR, "recio_torch.py", "--raw")
        start_local_side(ctx, DATALOADER, "dataloader_torch.py")
        count = self.spec.count
        nbytes = rec.stat().st_size
        common = {
            "rec": str(rec),
            "idx": str(rec.with_suffix(".idx")),
            "batch": self.batch_size,
            "threads": 2,
            "workers": 2,
            "nbytes": nbytes,
        }
        cases = []
        for kind, baselines in (
            ("float32", (Baseline(ITERATOR, 0.95), Baseline(DATALOADER, 3.0))),
            ("uint8", (Baseline(ITERATOR, None), Baseline(DATALOADER, None))),
        ):
            params = {**common, "kind": kind}
            shape = [self.batch_size, 3, 224, 224]
            cases.append(
                Case(
                    name=f"record/{kind}",
                    op="iterate",
                    params=params,
                    unit="records/s",
                    items=count,
                    nbytes=nbytes,
                    baselines=baselines,
                    warm=(rec,),
                    check=Check("check", params, {"images": count, "shape": shape, "dtype": kind}),
                    description=f"one shuffled epoch of {count} JPEGs, batch {self.batch_size}",
                )
            )
        return cases


SCENARIO = TorchScenario()

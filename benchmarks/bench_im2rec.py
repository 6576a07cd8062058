"""im2rec scenario: ``recio im2rec`` against MXNet 1.9.1's ``tools/im2rec.py``, both as CLIs.

Data: 2,000 ImageNet-like JPEGs in 10 class folders (short side 300-500, aspect 3:4 to
4:3, ~3% grayscale, OpenCV quality 90), made deterministically from scikit-image's sample
photographs by random crop, scale, flip and colour jitter (the logic of the project's
``make_images.py``). The list is written by MXNet's tool (``--list --recursive``) and
recio's list must equal it byte for byte before anything is timed. Both sides pack that
same list, each run a fresh subprocess of the side's command line (see
``_im2rec_work.py``).

Cases (records/s = images packed per second):

* ``pack/resize256``: ``--resize 256 --num-thread 2``, each tool's start-up (measured by
  packing an empty list) subtracted: packing throughput, target >= 1.5x MXNet.
* ``pack/resize256+startup``: the same runs' raw wall time, start-up included (context).
* ``pack/pass-through``: ``--pass-through --num-thread 2``, start-up subtracted (context).

An untimed check decodes every record each side wrote: 2,000 records, shorter side 256.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks._harness import MXNET, RECIO, Baseline, BenchmarkError, Case, Check, Context

FORMAT_VERSION = 1  # bump to regenerate the images after changing how they are made


@dataclass(frozen=True)
class ImageSpec:
    """How the image folder is generated; a change regenerates it."""

    count: int = 2000
    classes: int = 10
    seed: int = 12345
    quality: int = 90
    version: int = FORMAT_VERSION


def _sources() -> list[np.ndarray]:
    """scikit-image's sample photographs, as BGR uint8."""
    import cv2

    try:
        import skimage.data as data
    except ImportError as e:
        raise BenchmarkError(
            "the im2rec benchmark makes its images from scikit-image's sample photographs: "
            "pip install scikit-image"
        ) from e
    names = ["astronaut", "chelsea", "coffee", "hubble_deep_field", "immunohistochemistry",
             "retina", "rocket", "motorcycle_left", "cat", "colorwheel"]  # fmt: skip
    out = []
    for name in names:
        make = getattr(data, name, None)
        if make is None:
            continue
        try:
            img = make()
        except Exception:  # a sample that needs a download (pooch) is left out
            continue
        if isinstance(img, tuple):
            img = img[0]
        if img.ndim == 2:
            img = np.stack([img] * 3, -1)
        img = img[..., :3]
        if img.dtype != np.uint8:
            img = (np.clip(img, 0, 1) * 255).astype(np.uint8)
        out.append(cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return out


def make_images(out: Path, spec: ImageSpec) -> None:
    """``out/classNN/imgNNNNN.jpg``: random crop, scale to short side 300-500, flip, jitter."""
    import cv2

    rng = np.random.default_rng(spec.seed)
    src = _sources()
    for c in range(spec.classes):
        (out / f"class{c:02d}").mkdir(parents=True, exist_ok=True)
    for i in range(spec.count):
        s = src[rng.integers(len(src))]
        h, w = s.shape[:2]
        ch, cw = int(h * rng.uniform(0.4, 1.0)), int(w * rng.uniform(0.4, 1.0))
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        crop = s[y : y + ch, x : x + cw]
        short = rng.integers(300, 501)
        aspect = rng.uniform(0.75, 1.333)
        th, tw = (short, int(short * aspect)) if aspect >= 1 else (int(short / aspect), short)
        im = cv2.resize(crop, (tw, th), interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            im = im[:, ::-1]
        gain = rng.uniform(0.8, 1.2, size=3)
        noisy = im.astype(np.float32) * gain + rng.normal(0, 6, im.shape)
        im = np.clip(noisy, 0, 255).astype(np.uint8)
        if rng.random() < 0.03:
            im = cv2.cvtColor(im, cv2.COLOR_BGR2GRAY)
        path = out / f"class{i % spec.classes:02d}" / f"img{i:05d}.jpg"
        cv2.imwrite(str(path), im, [cv2.IMWRITE_JPEG_QUALITY, spec.quality])


def build_images(ctx: Context, spec: ImageSpec) -> Path:
    """Generate (or reuse) the image folder; returns it."""
    root = ctx.data_dir / "images"
    manifest = ctx.data_dir / "images.json"
    if manifest.exists() and json.loads(manifest.read_text()) == asdict(spec):
        return root
    if root.exists():
        for old in root.rglob("*.jpg"):
            old.unlink()
    make_images(root, spec)
    manifest.write_text(json.dumps(asdict(spec), indent=2) + "\n")
    return root


def build_list(ctx: Context, root: Path) -> Path:
    """The .lst made by MXNet's tool; recio's (made alongside) must be identical."""
    lists = ctx.data_dir / "lists"
    lists.mkdir(exist_ok=True)
    for side in (MXNET, RECIO):
        ctx.worker(side).call("make_list", {"prefix": str(lists / side), "root": str(root)})
    mx, rc = (lists / f"{MXNET}.lst").read_bytes(), (lists / f"{RECIO}.lst").read_bytes()
    if mx != rc:
        raise BenchmarkError(f"recio's list {lists / 'recio.lst'} differs from MXNet's")
    return lists / f"{MXNET}.lst"


def warm(root: Path) -> int:
    """Read every image once (page cache); returns their total size in bytes."""
    total = 0
    for path in sorted(root.rglob("*.jpg")):
        total += len(path.read_bytes())
    return total


@dataclass(frozen=True)
class Im2recScenario:
    """The im2rec scenario; the image count is a parameter so a quick variant is easy."""

    name: str = "im2rec"
    description: str = "recio im2rec vs MXNet tools/im2rec.py: pack 2000 JPEGs (resize 256)"
    rounds: int = 5
    spec: ImageSpec = ImageSpec()

    def prepare(self, ctx: Context) -> list[Case]:
        """Build the images and the list; return the three cases."""
        root = build_images(ctx, self.spec)
        lst = build_list(ctx, root)
        nbytes = warm(root)
        out_dir = str(ctx.data_dir / "out")
        os.makedirs(out_dir, exist_ok=True)
        resize = ["--resize", "256", "--num-thread", "2"]
        raw = ["--pass-through", "--num-thread", "2"]

        def params(flags: list[str], subtract: bool) -> dict[str, object]:
            return {
                "lst": str(lst),
                "root": str(root),
                "out_dir": out_dir,
                "flags": flags,
                "subtract_startup": subtract,
            }

        n = self.spec.count
        return [
            Case(
                name="pack/resize256",
                op="pack",
                params=params(resize, True),
                unit="records/s",
                items=n,
                nbytes=nbytes,
                baselines=(Baseline(MXNET, 1.5),),
                check=Check("inspect", params(resize, False), {"records": n, "short_sides": [256]}),
                description="--resize 256 --num-thread 2, start-up subtracted",
            ),
            Case(
                name="pack/resize256+startup",
                op="pack",
                params=params(resize, False),
                unit="records/s",
                items=n,
                nbytes=nbytes,
                baselines=(Baseline(MXNET, None),),
                description="--resize 256 --num-thread 2, wall time of the whole command",
            ),
            Case(
                name="pack/pass-through",
                op="pack",
                params=params(raw, True),
                unit="records/s",
                items=n,
                nbytes=nbytes,
                baselines=(Baseline(MXNET, None),),
                description="--pass-through --num-thread 2, start-up subtracted",
            ),
        ]


SCENARIO = Im2recScenario()

"""``make demo``: pack a small generated image set into RecordIO and read it back.

Run as ``python -m recio.demo [OUT_DIR]``. It writes ``OUT_DIR/sample.rec`` and
``sample.idx`` (default ``demo-out/``) with MXNet's own record layout, then reads
them sequentially and by key, and prints what it did.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np

from recio import mx

_CLASSES = ("circle", "square", "stripes")


def _sample_image(rng: np.random.Generator, kind: int) -> np.ndarray:
    """A 64x64 BGR picture of one of three kinds, with random colours and position."""
    img = np.full((64, 64, 3), rng.integers(0, 80, 3), np.uint8)
    colour = rng.integers(120, 256, 3).astype(np.uint8)
    y, x = rng.integers(16, 48, 2)
    yy, xx = np.mgrid[0:64, 0:64]
    if kind == 0:
        img[(yy - y) ** 2 + (xx - x) ** 2 < 150] = colour
    elif kind == 1:
        img[y - 12 : y + 12, x - 12 : x + 12] = colour
    else:
        img[(xx // 6) % 2 == 0] = colour
    return img


def pack_sample(out: Path, count: int, seed: int = 0) -> tuple[Path, Path]:
    """Write `count` JPEG records with [class, brightness] labels; returns (.rec, .idx)."""
    rng = np.random.default_rng(seed)
    rec, idx = out / "sample.rec", out / "sample.idx"
    with mx.recordio.MXIndexedRecordIO(str(idx), str(rec), "w") as writer:
        for i in range(count):
            kind = i % len(_CLASSES)
            img = _sample_image(rng, kind)
            header = mx.recordio.IRHeader(0, [kind, float(img.mean())], i, 0)
            writer.write_idx(i, mx.recordio.pack_img(header, img, quality=90))
    return rec, idx


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="demo-out", type=Path)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    rec, idx = pack_sample(args.out, args.count)
    took = time.perf_counter() - start
    print(
        f"packed {args.count} generated 64x64 JPEG images into {rec} "
        f"({rec.stat().st_size / 1024:.0f} KiB) and {idx} in {took * 1000:.0f} ms"
    )

    start = time.perf_counter()
    counts = dict.fromkeys(_CLASSES, 0)
    with mx.recordio.MXRecordIO(str(rec), "r") as reader:
        for record in reader:
            header, img = mx.recordio.unpack_img(record)
            counts[_CLASSES[int(header.label[0])]] += 1
    took = time.perf_counter() - start
    print(
        f"sequential read: {sum(counts.values())} records decoded in {took * 1000:.0f} ms; "
        f"per class {counts}"
    )

    with mx.recordio.MXIndexedRecordIO(str(idx), str(rec), "r") as reader:
        keys = random.Random(1).sample(reader.keys, 5)
        for key in keys:
            header, img = mx.recordio.unpack_img(reader.read_idx(key))
            label = ", ".join(f"{v:.1f}" for v in header.label)
            print(f"  read_idx({key:3d}): id {header.id:3d}  label [{label}]  image {img.shape}")
    print("done: the files are MXNet 1.9.1's RecordIO layout; mxnet.recordio reads them too")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

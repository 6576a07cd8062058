"""``make demo``: a built-in image set packed with im2rec, streamed as augmented batches.

Run as ``python -m recio.demo [OUT_DIR]`` (default ``demo-out/``). It

1. draws a small labelled image set (three kinds of picture, in class folders),
2. packs it with ``recio im2rec`` (list, then records), as MXNet users do,
3. reads it back with ``MXRecordIO`` and ``MXIndexedRecordIO``,
4. streams augmented batches from ``mx.io.ImageRecordIter`` and prints images/s,
5. writes ``OUT_DIR/batch.png``, a grid of one augmented batch with its labels,
6. packs a small detection set (shapes with known boxes) and writes
   ``OUT_DIR/det_batch.png``: an ImageDetRecordIter batch (mirror, crop sampler, pad)
   with its boxes drawn.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from recio import mx
from recio._io.image_det_record_iter import draw_det_batch
from recio.tools import im2rec

_CLASSES = ("circle", "square", "stripes")


def _picture(rng: np.random.Generator, kind: int) -> np.ndarray:
    """A BGR picture of one of three kinds, 300-420 pixels a side, random colours."""
    height, width = (int(v) for v in rng.integers(300, 421, 2))
    img = np.empty((height, width, 3), np.uint8)
    img[:] = rng.integers(0, 90, 3)
    img[:] = cv2.add(img, rng.integers(0, 25, img.shape, dtype=np.uint8))  # texture
    colour = tuple(int(v) for v in rng.integers(120, 256, 3))
    cy, cx = (
        int(rng.integers(height // 3, 2 * height // 3)),
        int(rng.integers(width // 3, 2 * width // 3)),
    )
    size = int(rng.integers(50, 110))
    if kind == 0:
        cv2.circle(img, (cx, cy), size, colour, -1, cv2.LINE_AA)
    elif kind == 1:
        cv2.rectangle(img, (cx - size, cy - size), (cx + size, cy + size), colour, -1)
    else:
        step = int(rng.integers(12, 30))
        for x in range(0, width, 2 * step):
            cv2.rectangle(img, (x, 0), (x + step - 1, height), colour, -1)
    return img


def make_images(root: Path, count: int, seed: int = 0) -> None:
    """``root/<class>/img<N>.jpg`` for `count` generated pictures."""
    rng = np.random.default_rng(seed)
    for name in _CLASSES:
        (root / name).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        kind = i % len(_CLASSES)
        path = root / _CLASSES[kind] / f"img{i:04d}.jpg"
        cv2.imwrite(str(path), _picture(rng, kind), [cv2.IMWRITE_JPEG_QUALITY, 90])


def pack_detection(rec: Path, count: int, seed: int = 1) -> None:
    """`count` pictures of 1-3 shapes each, with their boxes in MXNet's detection layout."""
    rng = np.random.default_rng(seed)
    with mx.recordio.MXIndexedRecordIO(str(rec.with_suffix(".idx")), str(rec), "w") as w:
        for i in range(count):
            h, w_ = (int(v) for v in rng.integers(240, 360, 2))
            img = np.full((h, w_, 3), rng.integers(0, 80, 3), np.uint8)
            label = [2.0, 5.0]
            for _ in range(int(rng.integers(1, 4))):
                kind = int(rng.integers(0, 2))
                bw, bh = int(rng.integers(40, w_ // 2)), int(rng.integers(40, h // 2))
                x0, y0 = int(rng.integers(0, w_ - bw)), int(rng.integers(0, h - bh))
                colour = tuple(int(v) for v in rng.integers(120, 256, 3))
                if kind == 0:
                    cv2.rectangle(img, (x0, y0), (x0 + bw - 1, y0 + bh - 1), colour, -1)
                else:
                    centre, axes = (x0 + bw // 2, y0 + bh // 2), (bw // 2, bh // 2)
                    cv2.ellipse(img, centre, axes, 0, 0, 360, colour, -1)
                label += [kind, x0 / w_, y0 / h, (x0 + bw) / w_, (y0 + bh) / h]
            header = mx.recordio.IRHeader(0, label, i, 0)
            w.write_idx(i, mx.recordio.pack_img(header, img, quality=90))


def _grid(batch: np.ndarray, labels: np.ndarray, columns: int = 8) -> np.ndarray:
    """One BGR image of the batch's pictures (uint8 NCHW, RGB) with their class names."""
    n, _, h, w = batch.shape
    rows = (n + columns - 1) // columns
    sheet = np.full((rows * (h + 4), columns * (w + 4), 3), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        tile = np.ascontiguousarray(batch[i].transpose(1, 2, 0)[:, :, ::-1])
        cv2.putText(tile, _CLASSES[int(labels[i])], (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (255, 255, 255), 1, cv2.LINE_AA)  # fmt: skip
        sheet[r * (h + 4) : r * (h + 4) + h, c * (w + 4) : c * (w + 4) + w] = tile
    return sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="demo-out", type=Path)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    root, prefix = out / "images", out / "sample"

    start = time.perf_counter()
    make_images(root, args.count)
    print(f"drew {args.count} pictures of {len(_CLASSES)} classes into {root}/")
    quiet = ["--quiet"]
    if im2rec.main([str(prefix), str(root), "--list", "--recursive", *quiet]) != 0:
        return 1
    if im2rec.main([str(prefix), str(root), "--num-thread", "2", "--quality", "90", *quiet]):
        return 1
    rec, idx = prefix.with_suffix(".rec"), prefix.with_suffix(".idx")
    took = time.perf_counter() - start
    print(f"recio im2rec: {rec} ({rec.stat().st_size / 2**20:.1f} MiB) and {idx} in {took:.1f} s")

    with mx.recordio.MXRecordIO(str(rec), "r") as reader:
        count = sum(1 for _ in reader)
    with mx.recordio.MXIndexedRecordIO(str(idx), str(rec), "r") as reader:
        key = random.Random(1).choice(reader.keys)
        header, img = mx.recordio.unpack_img(reader.read_idx(key))
    print(f"MXRecordIO read {count} records; read_idx({key}): label {header.label:.0f} "
          f"({_CLASSES[int(header.label)]}), image {img.shape}")  # fmt: skip

    augment: dict[str, Any] = dict(
        resize=256, rand_crop=True, rand_mirror=True, max_random_contrast=0.2,
        random_h=10, random_s=20, random_l=20, seed=7,
    )  # fmt: skip
    with mx.io.ImageRecordIter(
        path_imgrec=str(rec), data_shape=(3, 224, 224), batch_size=min(32, count), shuffle=True,
        mean_r=123.68, mean_g=116.28, mean_b=103.53, std_r=58.4, std_g=57.1, std_b=57.4,
        preprocess_threads=2, verbose=False, **augment,
    ) as it:  # fmt: skip
        start = time.perf_counter()
        images = 0
        for epoch in range(args.epochs):
            if epoch:
                it.reset()
            for batch in it:
                images += it.batch_size - (batch.pad or 0)
        took = time.perf_counter() - start
    rate = images / took
    print(f"ImageRecordIter (resize 256, random crop 224, mirror, colour jitter, mean/std, "
          f"2 threads): {images} images in {took:.2f} s = {rate:.0f} images/s")  # fmt: skip

    with mx.io.ImageRecordUInt8Iter(
        path_imgrec=str(rec), data_shape=(3, 160, 160), batch_size=min(24, count), shuffle=True,
        verbose=False, **augment,
    ) as it:  # fmt: skip
        batch = next(it)
        assert batch.data is not None
        assert batch.label is not None
        pictures, labels = np.asarray(batch.data[0]), np.asarray(batch.label[0])
    grid = out / "batch.png"
    cv2.imwrite(str(grid), _grid(pictures, labels))
    print(f"one augmented batch with its labels: {grid}")

    det_rec = out / "detection.rec"
    pack_detection(det_rec, 48)
    with mx.io.ImageDetRecordIter(
        path_imgrec=str(det_rec), data_shape=(3, 256, 256), batch_size=16, shuffle=True,
        rand_mirror_prob=0.5, rand_crop_prob=0.8, min_crop_scales=(0.4,),
        min_crop_object_coverages=(0.5,), rand_pad_prob=0.3, max_pad_scale=1.5,
        preprocess_threads=2, verbose=False, seed=3,
    ) as it:  # fmt: skip
        batch = next(it)
        assert batch.data is not None
        assert batch.label is not None
        picture = draw_det_batch(batch.data[0], batch.label[0])
    det_grid = out / "det_batch.png"
    cv2.imwrite(str(det_grid), picture)
    print(f"a detection batch (mirror, crop sampler, pad) with its boxes drawn: {det_grid}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

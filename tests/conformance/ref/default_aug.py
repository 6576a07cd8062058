"""MXNet 1.9.1's default augmenter (``aug_default``), observed through ``mx.io.ImageRecordIter``.

Runs in the reference server (numpy 1.23). Images go in as BGR uint8 arrays
(HxWx3, HxWx4 or HxW), are packed as PNG records (lossless, so both sides see
the same pixels) and read back through an ImageRecordIter with one
preprocessing thread, mean 0, std 1 and scale 1: the float output is then the
augmented image itself, RGB(A) in CHW, which is returned as float32 NCHW.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import mxnet as mx
import numpy as np


def pack_png(path: str, images: list[np.ndarray]) -> None:
    """Write `images` (BGR) as PNG records with labels 0, 1, 2, ... and ids 0, 1, 2, ..."""
    writer = mx.recordio.MXIndexedRecordIO(path + ".idx", path, "w")
    for i, img in enumerate(images):
        header = mx.recordio.IRHeader(0, float(i), i, 0)
        writer.write_idx(i, mx.recordio.pack_img(header, img, quality=1, img_fmt=".png"))
    writer.close()


def augment(images: list[np.ndarray], kwargs: dict[str, Any]) -> np.ndarray:
    """ImageRecordIter's output (float32 NCHW, RGB) for `images` under augmenter `kwargs`.

    `kwargs` must hold ``data_shape``; the images are read in order, one batch of
    ``len(images)``, no shuffle, one thread (so ``seed_aug`` draws are reproducible).
    """
    with tempfile.TemporaryDirectory() as tmp:
        rec = os.path.join(tmp, "data.rec")
        pack_png(rec, images)
        params: dict[str, Any] = {
            "path_imgrec": rec,
            "path_imgidx": rec + ".idx",
            "batch_size": len(images),
            "preprocess_threads": 1,
            "shuffle": False,
            "round_batch": False,
            "verbose": False,
        }
        params.update(kwargs)
        it = mx.io.ImageRecordIter(**params)
        batch = it.next()
        out = batch.data[0].asnumpy().astype(np.float32)
        labels = batch.label[0].asnumpy()
        del it
    order = np.argsort(labels.astype(np.int64), kind="stable")
    return out[order]


def augment_many(
    images: list[np.ndarray], kwargs: dict[str, Any], repeats: int, batch: int = 64
) -> np.ndarray:
    """`images` repeated `repeats` times through one iterator (different draws per record).

    Returns float32 NCHW for ``len(images) * repeats`` records in record order.
    Extra records fill the last batch (MXNet's padding of a short batch is not
    reliable) and are dropped from the result.
    """
    allimgs = [img for _ in range(repeats) for img in images]
    total = len(allimgs)
    allimgs += allimgs[: -total % batch]
    with tempfile.TemporaryDirectory() as tmp:
        rec = os.path.join(tmp, "data.rec")
        pack_png(rec, allimgs)
        params: dict[str, Any] = {
            "path_imgrec": rec,
            "path_imgidx": rec + ".idx",
            "batch_size": batch,
            "preprocess_threads": 1,
            "shuffle": False,
            "round_batch": False,
            "verbose": False,
        }
        params.update(kwargs)
        it = mx.io.ImageRecordIter(**params)
        outs: list[np.ndarray] = []
        labs: list[np.ndarray] = []
        for b in it:
            n = batch - b.pad
            outs.append(b.data[0].asnumpy()[:n].astype(np.float32))
            labs.append(b.label[0].asnumpy()[:n])
        del it
    out = np.concatenate(outs)
    order = np.argsort(np.concatenate(labs).astype(np.int64), kind="stable")
    return out[order][:total]

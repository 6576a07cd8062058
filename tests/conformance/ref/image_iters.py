"""MXNet 1.9.1's image iterators, driven for the iterator conformance tests.

Runs in the reference server (numpy 1.23). The tests send images (numpy, BGR
or grayscale, as OpenCV and ``mx.recordio.pack_img`` take them) to be packed
here with MXNet's own ``pack_img``, so both sides read the very same .rec
bytes; then they run ``mx.io.ImageRecordIter`` / ``ImageRecordUInt8Iter`` or
``mx.image.ImageIter`` over it for a few epochs and get every batch back as
plain numpy (labels, pad and, for the epochs asked for, the data).

Each iterator is deleted before returning, so its threads are gone before the
next call.
"""

from __future__ import annotations

import gc
import random
from typing import Any

import mxnet as mx
import numpy as np


def pack(
    rec: str,
    idx: str,
    images: list[np.ndarray],
    labels: list[Any],
    ids: list[int],
    fmts: list[str],
    quality: int = 90,
) -> list[int]:
    """Pack `images` with ``mx.recordio.pack_img`` into `rec`/`idx`; returns the record offsets.

    Record ``k`` gets index key ``k``, header id ``ids[k]`` and label ``labels[k]``
    (a float, or a list of floats for a multi-label header); ``fmts[k]`` is
    ``".jpg"`` (at `quality`) or ``".png"``.
    """
    writer = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
    offsets = []
    for key, (img, label, rid, fmt) in enumerate(zip(images, labels, ids, fmts, strict=True)):
        if isinstance(label, (list, tuple, np.ndarray)):
            lab: Any = np.asarray(label, np.float32)
            flag = len(lab)
        else:
            lab, flag = float(label), 0
        header = mx.recordio.IRHeader(flag, lab, int(rid), 0)
        q = quality if fmt == ".jpg" else 3
        offsets.append(writer.tell())
        writer.write_idx(key, mx.recordio.pack_img(header, img, quality=q, img_fmt=fmt))
    writer.close()
    return offsets


def _batches(it: Any, epochs: int, data_epochs: tuple[int, ...]) -> list[list[dict[str, Any]]]:
    out = []
    for epoch in range(epochs):
        if epoch:
            it.reset()
        batches = []
        for batch in it:
            batches.append(
                {
                    "label": batch.label[0].asnumpy(),
                    "pad": int(batch.pad),
                    "data": batch.data[0].asnumpy() if epoch in data_epochs else None,
                }
            )
        out.append(batches)
    return out


def record_iter(
    params: dict[str, Any],
    epochs: int = 1,
    data_epochs: tuple[int, ...] = (0,),
    uint8: bool = False,
) -> list[list[dict[str, Any]]]:
    """Every batch of `epochs` epochs of ``mx.io.ImageRecordIter(**params)`` (``reset()`` between).

    Per epoch a list of ``{"label", "pad", "data"}``; ``data`` is None outside `data_epochs`.
    `uint8` runs ``ImageRecordUInt8Iter`` instead.
    """
    cls = mx.io.ImageRecordUInt8Iter if uint8 else mx.io.ImageRecordIter
    args = {"verbose": False, "preprocess_threads": 1}
    args.update(params)
    it = cls(**args)
    try:
        return _batches(it, epochs, tuple(data_epochs))
    finally:
        del it
        gc.collect()


def image_iter(
    kwargs: dict[str, Any],
    epochs: int = 1,
    data_epochs: tuple[int, ...] = (0,),
    seed: int = 0,
) -> list[list[dict[str, Any]]]:
    """Every batch of `epochs` epochs of ``mx.image.ImageIter(**kwargs)`` (``reset()`` between).

    Python's ``random`` (which MXNet's ImageIter shuffles with) is seeded with `seed` first.
    """
    random.seed(seed)
    it = mx.image.ImageIter(**kwargs)
    try:
        return _batches(it, epochs, tuple(data_epochs))
    finally:
        del it
        gc.collect()

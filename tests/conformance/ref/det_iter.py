"""MXNet 1.9.1's ``mx.image.ImageDetIter`` and detection augmenters, for the conformance tests.

Runs in the reference server (numpy 1.23). Detection augmenters are described by
specs ``(class name, args, kwargs)``; ``DetBorrowAug`` takes a classification
spec ``(name, args, kwargs)`` and ``DetRandomSelectAug`` a list of specs, so both
sides build the same objects. Images travel as numpy HWC uint8, labels as numpy
float32 (objects, width) arrays.
"""

from __future__ import annotations

import random
from typing import Any

import mxnet as mx
import numpy as np
from mxnet.image import detection as det


def build(spec: Any) -> Any:
    """The detection augmenter a spec describes."""
    name, args, kwargs = spec
    if name == "DetBorrowAug":
        inner_name, inner_args, inner_kwargs = args[0]
        return det.DetBorrowAug(getattr(mx.image, inner_name)(*inner_args, **inner_kwargs))
    if name == "DetRandomSelectAug":
        return det.DetRandomSelectAug([build(s) for s in args[0]], *args[1:], **kwargs)
    return getattr(det, name)(*args, **kwargs)


def _error(exc: Exception) -> dict[str, Any]:
    return {"error": type(exc).__name__, "message": str(exc)[:300]}


def dumps(spec: Any) -> Any:
    """``dumps()`` of a spec's augmenter, or the error building it raised."""
    try:
        return {"value": build(spec).dumps()}
    except Exception as exc:
        return _error(exc)


def create(kwargs: dict[str, Any], multi: bool = False) -> Any:
    """``[aug.dumps() ...]`` of ``CreateDetAugmenter(**kwargs)`` (or the dumps() of
    ``CreateMultiRandCropAugmenter(**kwargs)`` with `multi`), or the error raised."""
    try:
        if multi:
            return {"value": det.CreateMultiRandCropAugmenter(**kwargs).dumps()}
        return {"value": [a.dumps() for a in det.CreateDetAugmenter(**kwargs)]}
    except Exception as exc:
        return _error(exc)


def run(
    specs: list[Any] | None,
    create_kwargs: dict[str, Any] | None,
    samples: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
    calls: int = 1,
) -> dict[str, Any]:
    """Seed ``random`` and ``np.random``, build the list (specs or CreateDetAugmenter) and
    run it over every (image, label), `calls` times in a row: the outputs in order."""
    random.seed(seed)
    np.random.seed(seed)
    if create_kwargs is not None:
        augs = det.CreateDetAugmenter(**create_kwargs)
    else:
        augs = [build(s) for s in specs or []]
    images, labels = [], []
    try:
        for _ in range(calls):
            for img, label in samples:
                x, y = mx.nd.array(img, dtype=img.dtype), label.copy()
                for aug in augs:
                    x, y = aug(x, y)
                images.append(x.asnumpy())
                labels.append(np.asarray(y))
    except Exception as exc:
        return _error(exc)
    return {"images": images, "labels": labels}


def proposals(
    kind: str, kwargs: dict[str, Any], shape: tuple[int, int], label: np.ndarray, n: int, seed: int
) -> list[Any]:
    """`n` calls of DetRandomCropAug's / DetRandomPadAug's proposal after ``random.seed``:
    (x, y, w, h, new label) tuples or () each."""
    random.seed(seed)
    if kind == "crop":
        aug = det.DetRandomCropAug(**kwargs)
        return [aug._random_crop_proposal(label, *shape) for _ in range(n)]
    aug = det.DetRandomPadAug(**kwargs)
    return [aug._random_pad_proposal(label, *shape) for _ in range(n)]


def iterate(kwargs: dict[str, Any], epochs: int = 1, seed: int = 0) -> dict[str, Any]:
    """Batches of ``ImageDetIter(**kwargs)`` over `epochs` epochs (reset() between them):
    label_shape, provide_data/label, and per batch (data, label, pad); or the error."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        it = mx.image.ImageDetIter(**kwargs)
        out: dict[str, Any] = {
            "label_shape": tuple(it.label_shape),
            "provide_data": [(n, tuple(s)) for n, s in it.provide_data],
            "provide_label": [(n, tuple(s)) for n, s in it.provide_label],
            "epochs": [],
        }
        for epoch in range(epochs):
            if epoch:
                it.reset()
            out["epochs"].append([(b.data[0].asnumpy(), b.label[0].asnumpy(), b.pad) for b in it])
    except Exception as exc:
        return _error(exc)
    return out


def reshape_and_sync(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """label_shape and provide_label of two iterators after ``a.sync_label_shape(b)``."""
    x, y = mx.image.ImageDetIter(**a), mx.image.ImageDetIter(**b)
    returned = x.sync_label_shape(y)
    batch = next(y)
    return {
        "same": returned is y,
        "a": (tuple(x.label_shape), [(n, tuple(s)) for n, s in x.provide_label]),
        "b": (tuple(y.label_shape), [(n, tuple(s)) for n, s in y.provide_label]),
        "b_label": batch.label[0].asnumpy(),
    }


def draw_next(kwargs: dict[str, Any], draw: dict[str, Any], count: int) -> list[np.ndarray]:
    """The first `count` images of ``ImageDetIter(**kwargs).draw_next(**draw)``."""
    np.random.seed(0)
    it = mx.image.ImageDetIter(**kwargs)
    out = []
    for image in it.draw_next(**draw):
        out.append(image)
        if len(out) == count:
            break
    return out

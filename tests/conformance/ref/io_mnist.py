"""MXNet 1.9.1's ``mx.io.MNISTIter``, driven for the MNISTIter conformance tests.

Runs in the reference server (numpy 1.23). Results are plain values and numpy
arrays: descriptors as ``(name, shape, dtype name)`` and batches as
``(data, label, pad, index)``.
"""

from __future__ import annotations

from typing import Any

import mxnet as mx
import numpy as np


def _desc(descs: list[Any]) -> list[tuple[str, tuple[int, ...], str]]:
    return [(d.name, tuple(d.shape), np.dtype(d.dtype).name) for d in descs]


def _batch(batch: Any) -> tuple[Any, ...]:
    return (
        [d.asnumpy() for d in batch.data],
        [lab.asnumpy() for lab in batch.label],
        batch.pad,
        None if batch.index is None else np.asarray(batch.index),
    )


def run(kwargs: dict[str, Any], epochs: int = 1) -> dict[str, Any]:
    """Build an MNISTIter from `kwargs` and read `epochs` epochs, reset() between them.

    MXNet reads the first batch in the constructor, so an iterator with no full
    batch raises StopIteration there; that comes back as ``{"ctor_stop": True}``.
    """
    try:
        it = mx.io.MNISTIter(**kwargs)
    except StopIteration:
        return {"ctor_stop": True}
    out: dict[str, Any] = {
        "ctor_stop": False,
        "provide_data": _desc(it.provide_data),
        "provide_label": _desc(it.provide_label),
        "batch_size": it.batch_size,
        "epochs": [],
    }
    for epoch in range(epochs):
        if epoch:
            it.reset()
        out["epochs"].append([_batch(b) for b in it])
    return out


def first_batch(kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """The first batch of an MNISTIter (raises what MXNet raises)."""
    return _batch(mx.io.MNISTIter(**kwargs).next())


def construct(kwargs: dict[str, Any]) -> None:
    """Only build the iterator: does MXNet accept these parameters?"""
    mx.io.MNISTIter(**kwargs)

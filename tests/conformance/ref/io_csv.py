"""MXNet 1.9.1's ``mx.io.CSVIter``, driven for the CSVIter conformance tests.

Runs in the reference server (numpy 1.23). Results are plain values and numpy
arrays: descriptors as ``repr`` strings and ``(name, shape, dtype name)``,
batches as ``(data, label, pad, index)`` with copies of MXNet's arrays.
"""

from __future__ import annotations

from typing import Any

import mxnet as mx
import numpy as np


def _desc(descs: list[Any]) -> list[tuple[str, tuple[int, ...], str, str]]:
    return [(d.name, tuple(d.shape), np.dtype(d.dtype).name, repr(d)) for d in descs]


def _batch(batch: Any) -> tuple[Any, ...]:
    return (
        [d.asnumpy().copy() for d in batch.data],
        [lab.asnumpy().copy() for lab in batch.label],
        batch.pad,
        None if batch.index is None else np.asarray(batch.index).copy(),
    )


def run(kwargs: dict[str, Any], epochs: int = 1) -> dict[str, Any]:
    """Build a CSVIter from `kwargs` and read `epochs` whole epochs, reset() between them.

    Every epoch is read to its end before reset(): MXNet's prefetcher runs ahead,
    so a reset() earlier than that depends on timing (see docs/notes/csv_iter.md).
    """
    it = mx.io.CSVIter(**kwargs)
    out: dict[str, Any] = {
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


def error_of(kwargs: dict[str, Any], epochs: int = 1) -> str | None:
    """The message MXNet raises while building and reading `epochs` epochs, or None."""
    try:
        run(kwargs, epochs)
    except StopIteration:
        return "StopIteration"
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return None

"""MXNet 1.9.1's NDArrayIter, ResizeIter and PrefetchingIter, driven for the conformance tests.

Runs in the reference server (numpy 1.23). Every function builds the iterator from plain
inputs (numpy arrays, lists and dicts of them, keyword arguments), runs it and returns
plain values: :func:`describe` for the DataDescs and :func:`batch_record` for each batch.
The recio side of the tests records its iterators with the same two shapes, so the two
results compare with ``==`` and ``np.testing``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mxnet as mx
import numpy as np


def describe(descs: Sequence[Any]) -> list[tuple[str, tuple[int, ...], str, str]]:
    """(name, shape, dtype string, layout) of each DataDesc."""
    return [(d.name, tuple(d.shape), np.dtype(d.dtype).str, d.layout) for d in descs]


def _np(x: Any) -> np.ndarray:
    return x.asnumpy() if hasattr(x, "asnumpy") else np.asarray(x)


def batch_record(batch: Any) -> dict[str, Any]:
    """A batch's data, label, pad and index as plain values (arrays keep their dtype)."""
    return {
        "data": [_np(d) for d in batch.data],
        "label": [_np(lab) for lab in batch.label or []],
        "pad": batch.pad,
        "index": None if batch.index is None else _np(batch.index),
        "provide_data": None if batch.provide_data is None else describe(batch.provide_data),
        "provide_label": None if batch.provide_label is None else describe(batch.provide_label),
    }


def run_epochs(it: Any, epochs: int, between: str = "reset") -> list[list[dict[str, Any]]]:
    """The batches of `epochs` epochs, calling ``it.<between>()`` between them."""
    out = []
    for epoch in range(epochs):
        if epoch:
            getattr(it, between)()
        out.append([batch_record(b) for b in it])
    return out


def ndarray_iter(
    data: Any,
    label: Any = None,
    epochs: int = 3,
    np_seed: int | None = None,
    between: str = "reset",
    **kwargs: Any,
) -> dict[str, Any]:
    """NDArrayIter(data, label, **kwargs) run for `epochs` epochs.

    `np_seed` seeds numpy's global RNG first (MXNet shuffles with it).
    """
    if np_seed is not None:
        np.random.seed(np_seed)
    it = mx.io.NDArrayIter(data, label, **kwargs)
    return {
        "provide_data": describe(it.provide_data),
        "provide_label": describe(it.provide_label),
        "batch_size": it.batch_size,
        "epochs": run_epochs(it, epochs, between),
    }


def ndarray_iter_steps(data: Any, label: Any, steps: Sequence[str], **kwargs: Any) -> list[Any]:
    """Drive one NDArrayIter with a script of calls, recording what each returns.

    Steps: ``"next"`` (a batch record, or ``"stop"``), ``"reset"``, ``"hard_reset"``, and
    ``"iter_next"`` (``(True, data, label, pad)`` via getdata/getlabel/getpad, or
    ``(False,)``).
    """
    it = mx.io.NDArrayIter(data, label, **kwargs)
    out: list[Any] = []
    for step in steps:
        if step == "next":
            try:
                out.append(batch_record(it.next()))
            except StopIteration:
                out.append("stop")
        elif step == "iter_next":
            if it.iter_next():
                data_ = [_np(d) for d in it.getdata()]
                label_ = [_np(lab) for lab in it.getlabel()]
                out.append((True, data_, label_, it.getpad()))
            else:
                out.append((False,))
        else:
            getattr(it, step)()
            out.append(None)
    return out


def resize_iter(
    data: Any,
    label: Any,
    nd_kwargs: dict[str, Any],
    size: int,
    reset_internal: bool = True,
    epochs: int = 3,
) -> dict[str, Any]:
    """ResizeIter(NDArrayIter(data, label, **nd_kwargs), size, reset_internal) over epochs."""
    it = mx.io.ResizeIter(mx.io.NDArrayIter(data, label, **nd_kwargs), size, reset_internal)
    return {
        "provide_data": describe(it.provide_data),
        "provide_label": describe(it.provide_label),
        "batch_size": it.batch_size,
        "epochs": run_epochs(it, epochs),
    }


def prefetching_iter(
    sources: Sequence[tuple[Any, Any, dict[str, Any]]],
    rename_data: Any = None,
    rename_label: Any = None,
    epochs: int = 2,
    as_list: bool = True,
) -> dict[str, Any]:
    """PrefetchingIter over NDArrayIter(data, label, **kw) for each (data, label, kw).

    With `as_list` false the single iterator is passed bare, not in a list.
    """
    iters = [mx.io.NDArrayIter(d, lab, **kw) for d, lab, kw in sources]
    it = mx.io.PrefetchingIter(iters if as_list else iters[0], rename_data, rename_label)
    result = {
        "provide_data": describe(it.provide_data),
        "provide_label": describe(it.provide_label),
        "batch_size": it.batch_size,
        "epochs": run_epochs(it, epochs),
    }
    try:
        it.next()
        result["next_after_end"] = "batch"
    except StopIteration:
        result["next_after_end"] = "stop"
    return result

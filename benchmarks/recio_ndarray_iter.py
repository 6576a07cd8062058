"""recio side of the NDArrayIter benchmark (run by the harness under recio's python).

``make_handlers(io)`` holds the measured loop; ``ref_ndarray_iter.py`` imports it and
binds it to ``mxnet.io``, so both sides time exactly the same code and only the library
differs. Only the standard library and numpy are used here: this module also runs under
the reference venv (numpy 1.23).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from time import perf_counter
from types import ModuleType
from typing import Any

import numpy as np

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any]]

_loaded: dict[str, np.ndarray] = {}


def _array(path: str) -> np.ndarray:
    """The array in `path`, loaded once per worker (untimed setup)."""
    if path not in _loaded:
        _loaded[path] = np.load(path)
    return _loaded[path]


def make_handlers(io: ModuleType) -> dict[str, Handler]:
    """The request handlers of one side, bound to its ``io`` module (``mx.io``-like)."""

    def iterate(p: Mapping[str, Any]) -> dict[str, Any]:
        """Timed: build an NDArrayIter, then every batch of `epochs` epochs (data ready)."""
        data, label = _array(p["data"]), _array(p["label"])
        rows = 0
        t0 = perf_counter()
        it = io.NDArrayIter(data, label, p["batch_size"], shuffle=p["shuffle"])
        for epoch in range(p["epochs"]):
            if epoch:
                it.reset()
            for batch in it:
                batch.data[0].wait_to_read()
                batch.label[0].wait_to_read()
                rows += batch.data[0].shape[0] - batch.pad
        seconds = perf_counter() - t0
        return {"seconds": seconds, "items": rows, "nbytes": p["nbytes"]}

    def check(p: Mapping[str, Any]) -> dict[str, Any]:
        """Untimed: each epoch's real rows are a permutation, and data rows match labels."""
        data, label = _array(p["data"]), _array(p["label"])
        it = io.NDArrayIter(data, label, p["batch_size"], shuffle=p["shuffle"])
        rows, permutations, aligned = 0, True, True
        for epoch in range(p["epochs"]):
            if epoch:
                it.reset()
            seen = []
            for batch in it:
                real = batch.data[0].shape[0] - batch.pad
                ids = batch.label[0].asnumpy()[:real].astype(np.int64)
                aligned &= bool((batch.data[0].asnumpy()[:real] == data[ids]).all())
                seen.append(ids)
                rows += real
            order = np.concatenate(seen)
            permutations &= bool((np.sort(order) == np.arange(len(data))).all())
        return {"rows": rows, "permutations": permutations, "aligned": aligned}

    return {"iterate": iterate, "check": check}


if __name__ == "__main__":
    from _worker import serve
    from recio import io as recio_io

    serve(make_handlers(recio_io))

"""recio side of the CSVIter benchmark (run by the harness under recio's python).

``make_handlers(io)`` holds the measured loop; ``ref_csv_iter.py`` imports it and binds
it to ``mxnet.io``, so both sides time exactly the same code and only the library
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


def _kwargs(p: Mapping[str, Any]) -> dict[str, Any]:
    kwargs = {
        "data_csv": p["data"],
        "data_shape": tuple(p["data_shape"]),
        "batch_size": p["batch_size"],
        "round_batch": p.get("round_batch", True),
    }
    if p.get("label"):
        kwargs["label_csv"] = p["label"]
    return kwargs


def _close(it: Any) -> None:
    close = getattr(it, "close", None)  # recio stops its threads; MXNet frees on delete
    if close is not None:
        close()


def make_handlers(io: ModuleType) -> dict[str, Handler]:
    """The request handlers of one side, bound to its ``io`` module (``mx.io``-like)."""

    def iterate(p: Mapping[str, Any]) -> dict[str, Any]:
        """Timed: build a CSVIter, take every batch of one epoch (data ready), close it."""
        rows = 0
        t0 = perf_counter()
        it = io.CSVIter(**_kwargs(p))
        for batch in it:
            batch.data[0].wait_to_read()
            rows += batch.data[0].shape[0] - batch.pad
        _close(it)
        del it
        seconds = perf_counter() - t0
        return {"seconds": seconds, "items": rows, "nbytes": p["nbytes"]}

    def check(p: Mapping[str, Any]) -> dict[str, Any]:
        """Untimed: every real row against the generated values (MXNet's parse is off by ulps)."""
        expected = np.load(p["expected"])
        labels = np.load(p["expected_labels"])
        it = io.CSVIter(**_kwargs(p))
        worst, label_errors, rows = 0.0, 0, 0
        for batch in it:
            real = batch.data[0].shape[0] - batch.pad
            data = batch.data[0].asnumpy()[:real].reshape(real, -1)
            worst = max(worst, float(np.abs(data - expected[rows : rows + real]).max()))
            label = batch.label[0].asnumpy()[:real].ravel()
            label_errors += int((label != labels[rows : rows + real]).sum())
            rows += real
        _close(it)
        return {"rows": rows, "close": worst <= p["tolerance"], "label_errors": label_errors}

    return {"iterate": iterate, "check": check}


if __name__ == "__main__":
    from _worker import serve
    from recio import io as recio_io

    serve(make_handlers(recio_io))

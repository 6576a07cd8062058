"""MXNet 1.9.1's ImageDetRecordIter, driven for the conformance tests.

Runs in the reference server (numpy 1.23). The .rec files are written by the
test process (recio's writer; the format is byte-identical) from a generated
detection set; these functions only read them through MXNet and return plain
values: per batch the data (optional: it is large), the label rows, pad and
index, plus the DataDescs.
"""

from __future__ import annotations

from typing import Any

import mxnet as mx
import numpy as np


def _describe(descs: Any) -> list[tuple[str, tuple[int, ...], str]]:
    return [(d.name, tuple(d.shape), np.dtype(d.dtype).str) for d in descs]


def run(
    path: str, kwargs: dict[str, Any], epochs: int = 1, with_data: bool = True
) -> dict[str, Any]:
    """ImageDetRecordIter(path_imgrec=path, **kwargs) for `epochs` epochs (reset between).

    One preprocessing thread unless `kwargs` says otherwise, verbose off.
    Returns ``{"provide_data", "provide_label", "epochs": [[batch, ...], ...]}``
    with each batch ``{"data" (float32 NCHW or None), "label", "pad", "index"}``.
    """
    params: dict[str, Any] = {"path_imgrec": path, "preprocess_threads": 1, "verbose": False}
    params.update(kwargs)
    it = mx.io.ImageDetRecordIter(**params)
    out: dict[str, Any] = {
        "provide_data": _describe(it.provide_data),
        "provide_label": _describe(it.provide_label),
        "epochs": [],
    }
    for epoch in range(epochs):
        if epoch:
            it.reset()
        batches = []
        for batch in it:
            batches.append(
                {
                    "data": batch.data[0].asnumpy() if with_data else None,
                    "label": batch.label[0].asnumpy(),
                    "pad": int(batch.pad),
                    "index": np.asarray(batch.index).astype(np.int64),
                }
            )
        out["epochs"].append(batches)
    del it
    return out


def first_error(path: str, kwargs: dict[str, Any]) -> str | None:
    """The message MXNet raises making the iterator or reading one epoch, or None."""
    try:
        run(path, kwargs, epochs=1, with_data=False)
    except mx.base.MXNetError as e:
        return str(e).strip().splitlines()[-1]
    return None

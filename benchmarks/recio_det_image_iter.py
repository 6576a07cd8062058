"""recio side of the detection image iterator benchmark; ``ref_det_image_iter.py`` binds
it to MXNet.

``make_handlers(mx)`` holds the measured loop, written against MXNet's API so both sides
run the same code. Standard library and numpy only: it also runs under the reference venv.
"""

from __future__ import annotations

import resource
from collections.abc import Callable, Mapping
from time import perf_counter
from types import ModuleType
from typing import Any

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _iterator(mx: ModuleType, p: Mapping[str, Any]) -> Any:
    extra = {"preprocess_threads": 2} if getattr(mx, "__name__", "") == "recio.mx" else {}
    return mx.image.ImageDetIter(
        batch_size=p["batch"], data_shape=(3, 300, 300), path_imgrec=p["rec"],
        path_imgidx=p["idx"], rand_crop=0.5, rand_pad=0.5, rand_mirror=True, mean=True,
        std=True, **extra,
    )  # fmt: skip


def make_handlers(mx: ModuleType) -> dict[str, Handler]:
    def iterate(p: Mapping[str, Any]) -> dict[str, Any]:
        t0 = perf_counter()
        it = _iterator(mx, p)
        images = 0
        for batch in it:
            batch.data[0].wait_to_read()
            batch.label[0].wait_to_read()
            images += batch.data[0].shape[0] - batch.pad
        seconds = perf_counter() - t0
        if hasattr(it, "close"):
            it.close()
        return {"seconds": seconds, "items": images, "nbytes": p["nbytes"], "peak_mb": _peak_mb()}

    def check(p: Mapping[str, Any]) -> dict[str, Any]:
        it = _iterator(mx, p)
        images, bad_rows = 0, 0
        for batch in it:
            assert batch.data[0].shape[1:] == (3, 300, 300)
            label = batch.label[0].asnumpy()
            objects = label[label[:, :, 0] >= 0]
            padding = label[label[:, :, 0] < 0]
            bad_rows += int((objects[:, 0] >= 20).sum() + (objects[:, 3] <= objects[:, 1]).sum())
            bad_rows += int((padding != -1).any(axis=1).sum())
            images += batch.data[0].shape[0] - batch.pad
        if hasattr(it, "close"):
            it.close()
        return {"images": images, "bad_rows": bad_rows}

    return {"iterate": iterate, "check": check}


if __name__ == "__main__":
    from _worker import serve
    from recio import mx as recio_mx

    serve(make_handlers(recio_mx))

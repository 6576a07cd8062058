"""recio side of the detection iterator benchmark; ``ref_det_iter.py`` binds it to MXNet.

``make_handlers(mx)`` holds the measured loops, written against MXNet's API so both sides
run the same code. Standard library and numpy only: it also runs under the reference venv.
"""

from __future__ import annotations

import resource
from collections.abc import Callable, Mapping
from time import perf_counter
from types import ModuleType
from typing import Any

import numpy as np

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any]]
NORMALIZE = {
    "mean_r": 123.68, "mean_g": 116.28, "mean_b": 103.53,
    "std_r": 58.395, "std_g": 57.12, "std_b": 57.375,
}  # fmt: skip
# MXNet's SSD example (example/ssd/config/config.py): mirror, five crop samplers, pad
SSD = {
    "rand_mirror_prob": 0.5,
    "rand_crop_prob": 0.833333,
    "num_crop_sampler": 5,
    "min_crop_scales": (0.3,),
    "max_crop_scales": (1.0,),
    "min_crop_aspect_ratios": (0.5,),
    "max_crop_aspect_ratios": (2.0,),
    "min_crop_overlaps": (0.1, 0.3, 0.5, 0.7, 0.9),
    "max_crop_trials": (25,),
    "crop_emit_mode": "center",
    "rand_pad_prob": 0.5,
    "max_pad_scale": 4.0,
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _iterator(mx: ModuleType, p: Mapping[str, Any]) -> Any:
    cls = getattr(mx.io, "ImageDetRecordIter", None)
    if cls is None:  # recio's mx.io before it exports the class
        from recio._io import image_det_record_iter

        cls = image_det_record_iter.ImageDetRecordIter
    aug = SSD if p["kind"] == "ssd" else {}
    return cls(
        path_imgrec=p["rec"], data_shape=(3, 300, 300), batch_size=p["batch"],
        preprocess_threads=2, verbose=False, **aug, **NORMALIZE,
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
        images = 0
        width = 0
        for batch in it:
            assert batch.data[0].shape[1:] == (3, 300, 300)
            labels = batch.label[0].asnumpy()
            width = labels.shape[1]
            real = labels[: labels.shape[0] - batch.pad]
            # every row: [3, 300, 300, n, 2, 5, objects...], boxes inside the image
            assert (real[:, :3] == (3, 300, 300)).all()
            n = real[:, 3].astype(np.int64)
            assert ((n - 2) % 5 == 0).all()
            assert (n >= 7).all()
            for row in real:
                boxes = row[6 : 4 + int(row[3])].reshape(-1, 5)[:, 1:]
                assert (boxes >= -1e-6).all()
                assert (boxes <= 1 + 1e-6).all()
            images += batch.data[0].shape[0] - batch.pad
        if hasattr(it, "close"):
            it.close()
        return {"images": images, "label_width": width}

    return {"iterate": iterate, "check": check}


if __name__ == "__main__":
    from _worker import serve
    from recio import mx as recio_mx

    serve(make_handlers(recio_mx))

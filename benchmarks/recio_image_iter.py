"""recio side of the image iterator benchmark; ``ref_image_iter.py`` binds it to MXNet.

``make_handlers(mx)`` holds the measured loops, written against MXNet's API so both sides
run the same code. Standard library, numpy and cv2 only: it also runs under the reference
venv.
"""

from __future__ import annotations

import resource
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter
from types import ModuleType
from typing import Any

import cv2
import numpy as np

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any]]
MEAN = {"mean_r": 123.68, "mean_g": 116.28, "mean_b": 103.53}
STD = {"std_r": 58.395, "std_g": 57.12, "std_b": 57.375}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _iterator(mx: ModuleType, p: Mapping[str, Any]) -> Any:
    kind, batch = p["kind"], p["batch"]
    aug = {"resize": 256, "rand_crop": True, "rand_mirror": True}
    if kind == "record_float32":
        return mx.io.ImageRecordIter(
            path_imgrec=p["rec"], data_shape=(3, 224, 224), batch_size=batch,
            preprocess_threads=2, verbose=False, **aug, **MEAN, **STD,
        )  # fmt: skip
    if kind == "record_uint8":
        return mx.io.ImageRecordUInt8Iter(
            path_imgrec=p["rec"], data_shape=(3, 224, 224), batch_size=batch,
            preprocess_threads=2, verbose=False, **aug,
        )  # fmt: skip
    extra = {"preprocess_threads": 2} if getattr(mx, "__name__", "") == "recio.mx" else {}
    return mx.image.ImageIter(
        batch_size=batch, data_shape=(3, 224, 224), path_imgrec=p["rec"],
        path_imgidx=p["idx"], mean=True, std=True, **aug, **extra,
    )  # fmt: skip


def _payloads(mx: ModuleType, p: Mapping[str, Any]) -> list[bytes]:
    rec = mx.recordio.MXRecordIO(p["rec"], "r")
    out = []
    while (item := rec.read()) is not None:
        out.append(mx.recordio.unpack(item)[1])
    rec.close()
    return out


def make_handlers(mx: ModuleType) -> dict[str, Handler]:
    cache: dict[str, list[bytes]] = {}

    def iterate(p: Mapping[str, Any]) -> dict[str, Any]:
        if p["kind"] == "decode":
            if p["rec"] not in cache:
                cache[p["rec"]] = _payloads(mx, p)
            payloads = cache[p["rec"]]
            cv2.setNumThreads(1)
            t0 = perf_counter()
            with ThreadPoolExecutor(2) as pool:
                shapes = list(
                    pool.map(lambda b: cv2.imdecode(np.frombuffer(b, np.uint8), 1).shape, payloads)
                )
            seconds = perf_counter() - t0
            return {
                "seconds": seconds,
                "items": len(shapes),
                "nbytes": p["nbytes"],
                "peak_mb": _peak_mb(),
            }
        t0 = perf_counter()
        it = _iterator(mx, p)
        images = 0
        for batch in it:
            batch.data[0].wait_to_read()
            images += batch.data[0].shape[0] - batch.pad
        seconds = perf_counter() - t0
        if hasattr(it, "close"):
            it.close()
        return {"seconds": seconds, "items": images, "nbytes": p["nbytes"], "peak_mb": _peak_mb()}

    def check(p: Mapping[str, Any]) -> dict[str, Any]:
        if p["kind"] == "decode":
            return {"images": len(_payloads(mx, p))}
        it = _iterator(mx, p)
        images = 0
        for batch in it:
            assert batch.data[0].shape[1:] == (3, 224, 224)
            images += batch.data[0].shape[0] - batch.pad
        if hasattr(it, "close"):
            it.close()
        return {"images": images}

    return {"iterate": iterate, "check": check}


if __name__ == "__main__":
    from _worker import serve
    from recio import mx as recio_mx

    serve(make_handlers(recio_mx))

"""recio side of the torch benchmark: ImageRecordIter through ``recio.torch.TorchIterable``.

Run with ``--raw`` it is the ``iterator`` baseline instead: the same iterator, same
parameters, read directly. Both build the iterator inside the timed region and count the
rows of every batch that are not padding (from the batch's shape and ``pad``), so the
only difference is the adapter.
"""

from __future__ import annotations

import gc
import resource
import sys
from collections.abc import Mapping
from time import perf_counter
from typing import Any

from recio import mx

MEAN = {"mean_r": 123.68, "mean_g": 116.28, "mean_b": 103.53}
STD = {"std_r": 58.395, "std_g": 57.12, "std_b": 57.375}
RAW = "--raw" in sys.argv[1:]


def _iterator(p: Mapping[str, Any]) -> Any:
    """ImageRecordIter (float32, mean/std) or, for kind "uint8", ImageRecordUInt8Iter."""
    common: dict[str, Any] = dict(
        path_imgrec=p["rec"], data_shape=(3, 224, 224), batch_size=p["batch"],
        preprocess_threads=p["threads"], shuffle=True, seed=0, resize=256, rand_crop=True,
        rand_mirror=True, verbose=False,
    )  # fmt: skip
    if p["kind"] == "uint8":
        return mx.io.ImageRecordUInt8Iter(**common)
    return mx.io.ImageRecordIter(**common, **MEAN, **STD)


def _batches(it: Any) -> Any:
    """(data, pad) of each batch: numpy straight from the iterator, or torch tensors."""
    if RAW:
        for batch in it:
            yield batch.data[0], batch.pad
    else:
        from recio.torch import TorchIterable

        for batch in TorchIterable(it):
            yield batch.data[0], batch.pad


def _epoch(p: Mapping[str, Any]) -> tuple[float, int, list[int], str]:
    t0 = perf_counter()
    it = _iterator(p)
    images, shape, dtype = 0, [], ""
    for data, pad in _batches(it):
        images += data.shape[0] - pad
        shape, dtype = list(data.shape), str(data.dtype).removeprefix("torch.")
    seconds = perf_counter() - t0
    it.close()
    # An ImageRecordIter and its batch engine refer to each other, so a dropped iterator's
    # buffers (~200 MB here) wait for the cyclic GC; collect (untimed) so that each round
    # starts alike and the peak memory reported is one iterator's.
    gc.collect()
    return seconds, images, shape, dtype


def iterate(p: Mapping[str, Any]) -> dict[str, Any]:
    seconds, images, _, _ = _epoch(p)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "items": images, "nbytes": p["nbytes"], "peak_mb": peak_mb}


def check(p: Mapping[str, Any]) -> dict[str, Any]:
    _, images, shape, dtype = _epoch(p)
    return {"images": images, "shape": shape, "dtype": dtype}


if __name__ == "__main__":
    if not RAW:
        import torch  # noqa: F401 - imported before the clock starts, as a training script has

    from _worker import serve

    serve({"iterate": iterate, "check": check})

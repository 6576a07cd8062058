"""ImageRecordIter's ``mean_img``: loaded from MXNet's NDArray file, or computed and saved.

As MXNet 1.9.1: when the file does not exist, the mean of every augmented image
of the part (CHW, RGB, before normalisation) is computed once, saved under the
key ``mean_img`` in MXNet's NDArray format (so MXNet can load it too), and used.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from recio._image.normalize import Normalizer
from recio._io._record_plan import Sample
from recio._pipeline import BatchEngine
from recio._storage import is_local, local_path

if TYPE_CHECKING:
    from recio._io.image_record_iter import ImageRecordIter

__all__ = ["load_or_make_mean"]

logger = logging.getLogger(__name__)


def load_or_make_mean(it: ImageRecordIter, path: str) -> npt.NDArray[np.float32]:
    """The mean image (C, H, W) float32 for `it`, from `path` or computed and saved there."""
    from recio import _ndfile

    shape = it._shape
    if not is_local(path) or os.path.exists(local_path(path)):
        loaded = _ndfile.load(path)
        arrays = list(loaded.values()) if isinstance(loaded, dict) else list(loaded)
        if len(arrays) != 1 or tuple(arrays[0].shape) != shape:
            raise ValueError(
                f"mean_img {path}: expected one array of shape {shape}, found "
                f"{[tuple(a.shape) for a in arrays]}"
            )
        return np.asarray(arrays[0], np.float32)
    logger.warning("mean_img %s not found: create mean image, this will take some time", path)
    mean = _compute_mean(it)
    _ndfile.save(path, {"mean_img": mean})
    logger.info("saved mean image to %s", path)
    return mean


def _compute_mean(it: ImageRecordIter) -> npt.NDArray[np.float32]:
    """Average of the part's augmented, unnormalised images, computed on the worker threads."""
    count = len(it._positions)
    if count == 0:
        raise ValueError(f"{it._where}: cannot compute a mean image of an empty dataset")
    saved = it._normalizer
    it._normalizer = Normalizer(np.zeros(4, np.float32), np.ones(4, np.float32), 1.0)
    batch = it.batch_size
    plan = [
        [Sample(p, (-1, p)) for p in range(i, min(i + batch, count))]
        for i in range(0, count, batch)
    ]
    engine = BatchEngine(it._fill, it._make_buffers, num_threads=2, prefetch=2, name="mean_img")
    total = np.zeros(it._shape, np.float64)
    started = time.monotonic()
    try:
        engine.start(plan)
        done = 0
        while (got := engine.next()) is not None:
            (data, _, _), tasks = got
            total += data[: len(tasks)].sum(axis=0, dtype=np.float64)
            done += len(tasks)
            if done % 10_000 < batch:
                logger.info(
                    "mean image: %d/%d images, %.0f s", done, count, time.monotonic() - started
                )
    finally:
        engine.close()
        it._normalizer = saved
    return (total / count).astype(np.float32)

"""MXNet's ``mx.io``: data descriptors, batches and the data iterators."""

from __future__ import annotations

import importlib
from typing import Any

from recio._io._csv_parse import CSVFormatError
from recio._io.base import DataBatch, DataDesc, DataIter
from recio._io.csv_iter import CSVIter
from recio._io.mnist_iter import MNISTFormatError, MNISTIter
from recio._io.ndarray_iter import NDArrayIter
from recio._io.wrappers import PrefetchingIter, ResizeIter
from recio._params import InvalidParameterError

__all__ = [
    "CSVFormatError",
    "CSVIter",
    "DataBatch",
    "DataDesc",
    "DataIter",
    "InvalidParameterError",
    "MNISTFormatError",
    "MNISTIter",
    "NDArrayIter",
    "PrefetchingIter",
    "ResizeIter",
]

# Iterators still being written load on first use.
_LAZY = {
    "ImageRecordIter": "recio._io.image_record_iter",
    "ImageRecordUInt8Iter": "recio._io.image_record_iter",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'recio.io' has no attribute {name!r}")

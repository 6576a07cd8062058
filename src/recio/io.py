"""MXNet's ``mx.io``: data descriptors, batches and the data iterators."""

from __future__ import annotations

import importlib
from typing import Any

from recio._io.base import DataBatch, DataDesc, DataIter
from recio._io.mnist_iter import MNISTFormatError, MNISTIter
from recio._params import InvalidParameterError

__all__ = [
    "DataBatch",
    "DataDesc",
    "DataIter",
    "InvalidParameterError",
    "MNISTFormatError",
    "MNISTIter",
]

# Iterators load on first use: each pulls in its own dependencies (pyarrow for CSV).
_LAZY = {
    "CSVIter": "recio._io.csv_iter",
    "NDArrayIter": "recio._io.ndarray_iter",
    "PrefetchingIter": "recio._io.wrappers",
    "ResizeIter": "recio._io.wrappers",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'recio.io' has no attribute {name!r}")

"""MXNet's ``mx.io``: data descriptors, batches and the data iterators."""

from __future__ import annotations

from recio._io._csv_parse import CSVFormatError
from recio._io.base import DataBatch, DataDesc, DataIter
from recio._io.csv_iter import CSVIter
from recio._io.image_det_record_iter import DetLabelError, DetLabelWarning, ImageDetRecordIter
from recio._io.image_record_iter import BadImageWarning, ImageRecordIter, ImageRecordUInt8Iter
from recio._io.mnist_iter import MNISTFormatError, MNISTIter
from recio._io.ndarray_iter import NDArrayIter
from recio._io.wrappers import PrefetchingIter, ResizeIter
from recio._params import InvalidParameterError

__all__ = [
    "BadImageWarning",
    "CSVFormatError",
    "CSVIter",
    "DataBatch",
    "DataDesc",
    "DataIter",
    "DetLabelError",
    "DetLabelWarning",
    "ImageDetRecordIter",
    "ImageRecordIter",
    "ImageRecordUInt8Iter",
    "InvalidParameterError",
    "MNISTFormatError",
    "MNISTIter",
    "NDArrayIter",
    "PrefetchingIter",
    "ResizeIter",
]

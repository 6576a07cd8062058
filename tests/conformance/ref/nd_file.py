"""MXNet 1.9.1's ``mx.nd.save`` / ``mx.nd.load``, driven for the NDArray file conformance tests.

Runs in the reference server (numpy 1.23). Arrays cross the wire as numpy
arrays, with their shapes beside them: the wire turns a 0-d array into shape
(1,). A loaded file comes back as ``(kind, [(key, array, shape), ...])`` with
kind ``"list"`` or ``"dict"`` (keys None for a list), every array dense.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import mxnet as mx
import numpy as np

BFLOAT16 = np.dtype([("bfloat16", "<u2")])


def _to_mx(value: np.ndarray, shape: tuple[int, ...]) -> Any:
    """An MXNet array with `value`'s dtype and bits, and `shape`."""
    value = value.reshape(shape)
    if value.dtype == BFLOAT16:  # mx.nd.array cannot make these; copy the bits in
        out = mx.nd.empty(shape, dtype=BFLOAT16)
        out._sync_copyfrom(value)
        return out
    return mx.nd.array(value, dtype=value.dtype)


def _container(arrays: list[np.ndarray], shapes: list[Any], names: list[str] | None) -> Any:
    mx_arrays = [_to_mx(a, tuple(s)) for a, s in zip(arrays, shapes, strict=True)]
    return mx_arrays if names is None else dict(zip(names, mx_arrays, strict=True))


Described = tuple[str, list[tuple[Any, np.ndarray, tuple[int, ...]]]]


def _described(loaded: Any) -> Described:
    def dense(key: Any, v: Any) -> tuple[Any, np.ndarray, tuple[int, ...]]:
        value = (v if v.stype == "default" else v.tostype("default")).asnumpy().copy()
        return key, value, value.shape

    if isinstance(loaded, dict):
        return "dict", [dense(k, v) for k, v in loaded.items()]
    return "list", [dense(None, v) for v in loaded]


def save(path: str, arrays: list[np.ndarray], shapes: list[Any], names: Any = None) -> None:
    """``mx.nd.save(path, list or dict)`` of MXNet arrays made from `arrays` and `shapes`."""
    mx.nd.save(path, _container(arrays, shapes, names))


def save_single(path: str, array: np.ndarray, shape: tuple[int, ...]) -> None:
    """``mx.nd.save(path, one NDArray)``."""
    mx.nd.save(path, _to_mx(array, shape))


def dumps(arrays: list[np.ndarray], shapes: list[Any], names: Any = None) -> bytes:
    """The bytes mx.nd.save writes for `arrays` (a dict when `names` is given)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.nd")
        save(path, arrays, shapes, names)
        with open(path, "rb") as f:
            return f.read()


def load(path: str) -> Described:
    """What mx.nd.load returns, described."""
    return _described(mx.nd.load(path))


def loads(buf: bytes) -> Described:
    """What mx.nd.load_frombuffer returns, described."""
    return _described(mx.nd.load_frombuffer(buf))


def save_sparse(path: str) -> None:
    """A list with a row_sparse and a csr array, and a dense one after them."""
    rows = mx.nd.sparse.row_sparse_array(
        (np.arange(6, dtype=np.float64).reshape(2, 3), np.array([4, 0])), shape=(6, 3)
    )
    csr = mx.nd.sparse.csr_matrix(
        (np.array([5, 6], dtype=np.int32), np.array([3, 0]), np.array([0, 0, 1, 2])), shape=(3, 5)
    )
    empty = mx.nd.sparse.zeros("row_sparse", (4, 2))
    mx.nd.save(path, [rows, csr, empty, mx.nd.array([1, 2, 3], dtype=np.int64)])


def mean_img(workdir: str, data_shape: tuple[int, int, int], count: int, seed: int) -> str:
    """Write `count` random PNGs into a .rec and let ImageRecordIter save its mean image."""
    rng = np.random.default_rng(seed)
    rec = os.path.join(workdir, "images.rec")
    writer = mx.recordio.MXRecordIO(rec, "w")
    channels, height, width = data_shape
    for i in range(count):
        img = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
        header = mx.recordio.IRHeader(0, float(i), i, 0)
        writer.write(mx.recordio.pack_img(header, img, img_fmt=".png"))
    writer.close()
    target = os.path.join(workdir, "mean.bin")
    mx.io.ImageRecordIter(
        path_imgrec=rec,
        data_shape=data_shape,
        batch_size=1,
        mean_img=target,
        preprocess_threads=1,
    )
    return target

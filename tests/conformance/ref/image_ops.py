"""MXNet 1.9.1's ``mx.image`` functions, driven for the image-op conformance tests.

Runs in the reference server (numpy 1.23). Images arrive as numpy arrays and
become NDArrays of the same dtype; results go back as numpy arrays (the server
converts NDArrays). A function that raises in MXNet raises here, and the test
side sees it as an Outcome/ReferenceCallError.
"""

from __future__ import annotations

import random
from typing import Any

import mxnet as mx
import numpy as np


def _nd(img: np.ndarray) -> Any:
    return mx.nd.array(img, dtype=img.dtype)


def _plain(value: Any) -> Any:
    """NDArrays to numpy, recursively through tuples and lists; boxes to tuples of ints."""
    if isinstance(value, mx.nd.NDArray):
        return value.asnumpy()
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    return value


def imdecode(buf: bytes, *args: Any, **kwargs: Any) -> np.ndarray:
    """``mx.image.imdecode(buf, ...)``, waited for (decoding runs asynchronously in MXNet)."""
    return mx.image.imdecode(buf, *args, **kwargs).asnumpy()


def imread(path: str, *args: Any, **kwargs: Any) -> np.ndarray:
    return mx.image.imread(path, *args, **kwargs).asnumpy()


def call(name: str, img: np.ndarray, *args: Any, **kwargs: Any) -> Any:
    """``mx.image.<name>(NDArray(img), *args, **kwargs)`` with NDArrays in the result as numpy."""
    return _plain(getattr(mx.image, name)(_nd(img), *args, **kwargs))


def call_nd_args(name: str, img: np.ndarray, *arrays: np.ndarray, **kwargs: Any) -> Any:
    """Like :func:`call`, with the extra positional arguments passed as float32 NDArrays.

    (color_normalize takes its mean and std as NDArrays; numpy arrays are refused.)
    """
    nds = [None if a is None else mx.nd.array(a) for a in arrays]
    return _plain(getattr(mx.image, name)(_nd(img), *nds, **kwargs))


def seeded(name: str, seed: int, img: np.ndarray, *args: Any, **kwargs: Any) -> Any:
    """:func:`call` right after ``random.seed(seed)``: MXNet's draws come from Python's random."""
    random.seed(seed)
    return call(name, img, *args, **kwargs)


def boxes(name: str, seed: int, n: int, shape: tuple[int, ...], *args: Any) -> list[Any]:
    """The (x0, y0, w, h) boxes of `n` calls of a random crop on a zero image of `shape`."""
    random.seed(seed)
    img = mx.nd.zeros(shape, dtype="uint8")
    return [tuple(int(v) for v in getattr(mx.image, name)(img, *args)[1]) for _ in range(n)]


def scale_down(pairs: list[tuple[tuple[int, int], tuple[int, int]]]) -> list[Any]:
    """``mx.image.scale_down`` over many (src_size, size) pairs, errors as their class name."""
    out: list[Any] = []
    for src_size, size in pairs:
        try:
            out.append(mx.image.scale_down(src_size, size))
        except Exception as exc:
            out.append(type(exc).__name__)
    return out

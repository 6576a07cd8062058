"""The slice of MXNet's ``mx.nd`` that data-loading code touches, over numpy.

:class:`NDArray` is a numpy array (a subclass, so every numpy function takes
it) that also answers MXNet's ``asnumpy()``, ``wait_to_read()``, ``context``
and ``as_in_context()``. ``array``/``zeros``/``ones``/``empty`` default to
float32 as MXNet's do. ``save``/``load``/``load_frombuffer`` write and read
MXNet's NDArray files (``.params``, ImageRecordIter's ``mean_img``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from recio._ndfile import NDArrayFileError, load, load_frombuffer, save

__all__ = [
    "Context",
    "NDArray",
    "NDArrayFileError",
    "array",
    "concat",
    "cpu",
    "empty",
    "load",
    "load_frombuffer",
    "ones",
    "save",
    "zeros",
]


class Context:
    """A device name as MXNet prints it; recio's arrays always live on ``cpu(0)``."""

    __slots__ = ("device_id", "device_type")

    def __init__(self, device_type: str = "cpu", device_id: int = 0):
        self.device_type = device_type
        self.device_id = device_id

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Context) and (self.device_type, self.device_id) == (
            other.device_type,
            other.device_id,
        )

    def __hash__(self) -> int:
        return hash((self.device_type, self.device_id))


def cpu(device_id: int = 0) -> Context:
    return Context("cpu", device_id)


class NDArray(np.ndarray):
    """A numpy array with MXNet's NDArray methods used by data-loading code."""

    @property
    def context(self) -> Context:
        return cpu()

    ctx = context

    def asnumpy(self) -> npt.NDArray[Any]:
        """A plain numpy array with the same data (a view, no copy)."""
        return self.view(np.ndarray)

    def asscalar(self) -> Any:
        if self.size != 1:
            raise ValueError(f"asscalar() needs an array of size 1, not of shape {self.shape}")
        return self.reshape(()).item()

    def wait_to_read(self) -> None:
        """Nothing to wait for: the data is already computed."""

    def as_in_context(self, context: Context) -> NDArray:
        return self

    def copyto(self, other: Any) -> NDArray:
        if isinstance(other, np.ndarray):
            other[...] = self
            return other.view(NDArray)
        return self.copy()


def _wrap(a: npt.NDArray[Any]) -> NDArray:
    return a.view(NDArray)


def array(source: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """A new array holding `source`; float32 unless `dtype` or an NDArray source says otherwise."""
    if dtype is None:
        dtype = source.dtype if isinstance(source, NDArray) else np.float32
    return _wrap(np.array(source, dtype=dtype))


def zeros(shape: Any, ctx: Context | None = None, dtype: Any = np.float32) -> NDArray:
    return _wrap(np.zeros(shape, dtype=dtype))


def ones(shape: Any, ctx: Context | None = None, dtype: Any = np.float32) -> NDArray:
    return _wrap(np.ones(shape, dtype=dtype))


def empty(shape: Any, ctx: Context | None = None, dtype: Any = np.float32) -> NDArray:
    return _wrap(np.empty(shape, dtype=dtype))


def concat(*arrays: Any, dim: int = 1) -> NDArray:
    """Join arrays along `dim` (MXNet's default axis is 1)."""
    return _wrap(np.concatenate(arrays, axis=dim))

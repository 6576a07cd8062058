"""MXNet's iterator vocabulary: DataDesc, DataBatch and the DataIter base class.

These keep MXNet 1.9.1's surface exactly, so user iterators written against
``mx.io.DataIter`` (the seeds' ``SimpleIter``) subclass and compose unchanged.
recio's own iterators add ``state_dict()`` / ``load_state_dict()``: a plain dict
from which a fresh iterator yields exactly the batches the original would have
yielded next.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["DataBatch", "DataDesc", "DataIter"]


class DataDesc(tuple[str, tuple[int, ...]]):
    """Name and shape of one input, with its dtype and layout (MXNet's ``DataDesc``).

    A 2-tuple ``(name, shape)`` as in MXNet, so ``name, shape = desc`` works;
    prints as ``DataDesc[data,(25, 10),<class 'numpy.float32'>,NCHW]``.
    """

    dtype: Any
    layout: str

    def __new__(
        cls,
        name: str,
        shape: Sequence[int],
        dtype: Any = np.float32,
        layout: str = "NCHW",
    ) -> DataDesc:
        desc = super().__new__(cls, (name, tuple(shape)))
        desc.dtype = dtype
        desc.layout = layout
        return desc

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self.name, self.shape, self.dtype, self.layout)

    @property
    def name(self) -> str:
        return self[0]

    @property
    def shape(self) -> tuple[int, ...]:
        return self[1]

    def __repr__(self) -> str:
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout: str | None) -> int:
        """Index of 'N' in `layout` (0 when no layout is given; -1 when it has no N)."""
        if layout is None:
            return 0
        return layout.find("N")

    @staticmethod
    def get_list(
        shapes: Sequence[tuple[str, Sequence[int]]],
        types: Sequence[tuple[str, Any]] | None,
    ) -> list[DataDesc]:
        """DataDescs from ``(name, shape)`` pairs, with dtypes from ``(name, dtype)`` pairs."""
        if types is None:
            return [DataDesc(name, shape) for name, shape in shapes]
        dtypes = dict(types)
        return [DataDesc(name, shape, dtypes[name]) for name, shape in shapes]


class DataBatch:
    """One batch: lists of data and label arrays, the padding count, and record indices."""

    def __init__(
        self,
        data: Sequence[Any] | None,
        label: Sequence[Any] | None = None,
        pad: int | None = None,
        index: Any = None,
        bucket_key: Any = None,
        provide_data: list[DataDesc] | None = None,
        provide_label: list[DataDesc] | None = None,
    ):
        if data is not None and not isinstance(data, list | tuple):
            raise TypeError(f"DataBatch data must be a list of arrays, got {type(data).__name__}")
        if label is not None and not isinstance(label, list | tuple):
            raise TypeError(f"DataBatch label must be a list of arrays, got {type(label).__name__}")
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self) -> str:
        data_shapes = [d.shape for d in self.data or []]
        label_shapes = [lab.shape for lab in self.label] if self.label else None
        return f"{type(self).__name__}: data shapes: {data_shapes} label shapes: {label_shapes}"


class DataIter:
    """MXNet's iterator base: ``next()`` builds a DataBatch from the get* hooks.

    Subclasses implement ``iter_next``/``getdata``/``getlabel``/``getpad``/
    ``getindex`` (or override ``next``), ``reset``, ``provide_data`` and
    ``provide_label``, as in MXNet.
    """

    def __init__(self, batch_size: int = 0):
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[DataBatch]:
        return self

    def reset(self) -> None:
        """Go back to the beginning of the data."""

    def next(self) -> DataBatch:
        """The next batch; raises StopIteration at the end of the epoch."""
        if self.iter_next():
            return DataBatch(
                data=self.getdata(),
                label=self.getlabel(),
                pad=self.getpad(),
                index=self.getindex(),
            )
        raise StopIteration

    def __next__(self) -> DataBatch:
        return self.next()

    def iter_next(self) -> bool:
        """Move to the next batch; False at the end of the epoch."""
        return False

    def getdata(self) -> Any:
        """The data arrays of the current batch."""
        return None

    def getlabel(self) -> Any:
        """The label arrays of the current batch."""
        return None

    def getindex(self) -> Any:
        """The indices of the current batch's examples, or None."""
        return None

    def getpad(self) -> Any:
        """How many examples at the end of the current batch are padding."""
        return None

    # -- beyond MXNet: checkpointing ---------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A plain dict from which :meth:`load_state_dict` resumes exactly here."""
        raise NotImplementedError(f"{type(self).__name__} does not implement state_dict()")

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict` of an iterator built with the same arguments."""
        raise NotImplementedError(f"{type(self).__name__} does not implement load_state_dict()")

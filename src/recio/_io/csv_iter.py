"""MXNet's ``mx.io.CSVIter``: batches of rows from numeric CSV files.

Behaviour follows MXNet 1.9.1 (``docs/notes/csv_iter.md`` lists what was
verified and every deliberate difference). The epoch rules are MXNet's
BatchLoader's: with ``round_batch`` a short last batch is completed with rows
from the start of the data, which it reports as ``pad``, and the ``reset()``
after it does not rewind, so the next epoch starts after the rows already used.
Without ``round_batch`` the last batch is padded with zeros and every epoch
starts at row 0. ``batch.index`` holds each row's number in the data.

The work is split up: :mod:`._csv_reader` streams the files in blocks that
:mod:`._csv_parse` parses on a small thread pool, ``prefetch_buffer`` blocks
ahead of the caller; :mod:`._csv_batches` (one generator, run in the caller's
thread) cuts the parsed rows into batches, each with the state after it.
Batches are views of the parsed blocks, so cutting them costs microseconds: a
thread handing them over would cost more than it saves (it did: 25% of the
rows/s). The caller's state only moves when it takes a batch, so ``reset()``,
``state_dict()`` and ``load_state_dict()`` never depend on how far the parse
threads ran ahead.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
import os
import weakref
from collections.abc import Generator
from typing import Any

import numpy as np
import numpy.typing as npt

from recio._io._csv_batches import Batch, Batcher, End, State
from recio._io._csv_reader import Position
from recio._io.base import DataBatch, DataDesc, DataIter
from recio._params import InvalidParameterError, Shape, parse_params
from recio.nd import NDArray

__all__ = ["CSVIter", "CSVIterOptions"]

Array = npt.NDArray[Any]
_DTYPES = {"float32": np.float32, "int32": np.int32, "int64": np.int64}
_STATE_VERSION = 1
_PARSE_THREADS = max(1, min(4, os.cpu_count() or 1))


@dataclasses.dataclass(slots=True, kw_only=True)
class CSVIterOptions:
    """CSVIter's parameters; defaults are MXNet 1.9.1's unless marked recio-only."""

    data_csv: str
    data_shape: Shape
    batch_size: int
    label_csv: str | None = None  # MXNet spells "no labels" "NULL"; both are accepted
    label_shape: Shape = (1,)
    round_batch: bool = True
    prefetch_buffer: int = 4  # recio: blocks parsed ahead; 0: parse in step (MXNet crashes)
    dtype: Any = None  # None (float32), "float32", "int32" or "int64", or numpy's spelling
    ctx: str = "gpu"  # MXNet's hint of where batches go; recio's live on the CPU
    data_name: str = "data"  # MXNet's Python wrapper takes these two
    label_name: str = "softmax_label"
    block_bytes: int = 1 << 20  # recio-only: bytes of CSV text parsed at a time

    def __post_init__(self) -> None:
        if self.label_csv in ("NULL", ""):
            self.label_csv = None
        name = "float32" if self.dtype in (None, "None") else _dtype_name(self.dtype)
        if name not in _DTYPES:
            raise InvalidParameterError(
                "CSVIter: dtype: expected None, 'float32', 'int32' or 'int64' "
                f"(the types MXNet's CSVIter reads), got {self.dtype!r}"
            )
        self.dtype = np.dtype(_DTYPES[name])
        for field in ("data_shape", "label_shape"):
            shape = getattr(self, field)
            if not shape or min(shape) < 1:
                raise InvalidParameterError(
                    f"CSVIter: {field}: every dimension must be at least 1, got {shape}"
                )
        for field in ("batch_size", "block_bytes"):
            if getattr(self, field) < 1:
                raise InvalidParameterError(
                    f"CSVIter: {field} must be at least 1, got {getattr(self, field)}"
                )
        if self.prefetch_buffer < 0:
            raise InvalidParameterError(
                f"CSVIter: prefetch_buffer must be 0 or more, got {self.prefetch_buffer}"
            )
        if self.ctx not in ("cpu", "gpu"):
            raise InvalidParameterError(f"CSVIter: ctx: expected 'cpu' or 'gpu', got {self.ctx!r}")

    @property
    def label_row_shape(self) -> tuple[int, ...]:
        """One label's shape in a batch: MXNet flattens (1,) and any (1, ...) holding one value.

        Without label_csv MXNet's labels are scalars whatever label_shape says.
        """
        if self.label_csv is None or math.prod(self.label_shape) == 1:
            return ()
        return self.label_shape


def _dtype_name(value: Any) -> str:
    try:
        return str(np.dtype(value).name)
    except TypeError:
        return repr(value)


class CSVIter(DataIter):
    """Batches of rows from numeric CSV files (MXNet's ``mx.io.CSVIter``).

    Parameters are MXNet's, by keyword, typed or as strings: ``data_csv`` (a
    file, a directory, ``;``-separated paths), ``data_shape``, ``batch_size``,
    ``label_csv`` (labels are 0 without it), ``label_shape``, ``round_batch``,
    ``prefetch_buffer``, ``dtype`` (float32, int32 or int64), ``data_name``,
    ``label_name``; recio adds ``block_bytes``. ``close()`` stops the threads.
    ``prefetch_buffer`` is how many blocks of ``block_bytes`` of text the parse
    threads work ahead (MXNet: batches a prefetch thread prepares ahead).
    """

    def __init__(self, *args: Any, **kwargs: Any):
        if args:
            raise TypeError("CSVIter takes keyword arguments only, as MXNet's does")
        opts = parse_params(CSVIterOptions, "CSVIter", kwargs)
        super().__init__(opts.batch_size)
        self.opts = opts
        self._pool = concurrent.futures.ThreadPoolExecutor(
            _PARSE_THREADS, thread_name_prefix="recio-CSVIter-parse"
        )
        self._batcher = Batcher(opts, self._pool, depth=opts.prefetch_buffer)
        self._epoch: Generator[Batch | End] | None = None
        self._state = State()
        self._current: Batch | None = None
        self._finalizer = weakref.finalize(self, _shutdown, self._pool)
        dtype = opts.dtype.type
        self.provide_data = [DataDesc(opts.data_name, (opts.batch_size, *opts.data_shape), dtype)]
        label_shape = (opts.batch_size, *opts.label_row_shape)
        self.provide_label = [DataDesc(opts.label_name, label_shape, dtype)]

    # -- MXNet's surface -------------------------------------------------------

    def reset(self) -> None:
        """Start the next epoch; after a round batch it goes on after the rows it used."""
        self._check_open()
        self._stop_epoch()
        self._current = None
        self._state = self._state.after_reset(self.opts.round_batch)

    def iter_next(self) -> bool:
        self._check_open()
        self._current = None
        if self._state.over:
            return False
        if self._epoch is None:
            self._epoch = self._batcher.epoch(self._state)
        try:
            item: Batch | End | None = next(self._epoch, None)
        except BaseException:
            self._stop_epoch()  # the state stays before the batch that failed
            raise
        if item is None:  # pragma: no cover - every epoch ends with an ``over`` state
            raise RuntimeError("CSVIter: the batches stopped before the epoch ended")
        self._state = item.state
        if self._state.over:
            self._stop_epoch()
        if isinstance(item, End):
            return False
        self._current = item
        return True

    def _stop_epoch(self) -> None:
        """Drop the epoch in progress and the blocks parsed ahead for it."""
        epoch, self._epoch = self._epoch, None
        if epoch is not None:
            epoch.close()

    def _check_open(self) -> None:
        if not self._finalizer.alive:
            raise ValueError("CSVIter: the iterator is closed")

    def next(self) -> DataBatch:
        if not self.iter_next():
            raise StopIteration
        return DataBatch(
            data=self.getdata(), label=self.getlabel(), pad=self.getpad(), index=self.getindex()
        )

    def _batch(self) -> Batch:
        if self._current is None:
            raise RuntimeError("CSVIter: no current batch; call iter_next() or next() first")
        return self._current

    def getdata(self) -> list[NDArray]:
        return [self._batch().data.view(NDArray)]

    def getlabel(self) -> list[NDArray]:
        return [self._batch().label.view(NDArray)]

    def getpad(self) -> int:
        return self._batch().pad

    def getindex(self) -> Array:
        return self._batch().index

    def close(self) -> None:
        """Stop the prefetch and parse threads; safe to call twice."""
        self._current = None
        self._stop_epoch()
        self._finalizer()
        self._batcher.close()

    def __enter__(self) -> CSVIter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- beyond MXNet: checkpointing ---------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Where the next batch comes from, as plain data (see load_state_dict)."""
        s = self._state
        return {
            "version": _STATE_VERSION,
            "data_files": list(self._batcher.data.paths),
            "label_files": list(self._batcher.label.paths) if self._batcher.label else None,
            "cursor": s.cursor,
            "data_position": list(s.data),
            "label_position": list(s.label),
            "overflow": s.overflow,
            "exhausted": s.exhausted,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue exactly where the iterator that gave `state` was (same files and options)."""
        if state.get("version") != _STATE_VERSION:
            raise ValueError(f"CSVIter: unsupported state version {state.get('version')!r}")
        label = self._batcher.label
        files = (list(self._batcher.data.paths), list(label.paths) if label else None)
        if (state["data_files"], state["label_files"]) != files:
            raise ValueError(
                f"CSVIter: the state was saved over files {state['data_files']} / "
                f"{state['label_files']}, this iterator reads {files[0]} / {files[1]}"
            )
        self._stop_epoch()
        self._current = None
        self._state = State(
            cursor=int(state["cursor"]),
            data=Position(*map(int, state["data_position"])),
            label=Position(*map(int, state["label_position"])),
            overflow=int(state["overflow"]),
            exhausted=bool(state["exhausted"]),
        )


def _shutdown(pool: concurrent.futures.ThreadPoolExecutor) -> None:
    pool.shutdown(wait=True, cancel_futures=True)

"""CSVIter's batching rules (MXNet's BatchLoader) over the data and label row streams.

:meth:`Batcher.epoch` is one generator: from a :class:`State` it yields the
batches of the rest of that epoch, each with the state after it, so the
caller's state moves only with the batches it took.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from recio._io._csv_parse import BlockParser
from recio._io._csv_reader import START, Position, RowStream, resolve_paths

if TYPE_CHECKING:
    from recio._io.csv_iter import CSVIterOptions

__all__ = ["Batch", "Batcher", "End", "State"]

Array = npt.NDArray[Any]


@dataclasses.dataclass(frozen=True, slots=True)
class State:
    """The consumer's place: next row number, both streams' positions, how the epoch ended.

    ``overflow`` > 0: the epoch ended with a round batch and ``reset()`` goes on
    from here; ``exhausted``: the epoch ended at the end of the data and
    ``reset()`` rewinds.
    """

    cursor: int = 0
    data: Position = START
    label: Position = START
    overflow: int = 0
    exhausted: bool = False

    @property
    def over(self) -> bool:
        return self.overflow > 0 or self.exhausted

    def after_reset(self, round_batch: bool) -> State:
        if round_batch and self.overflow:
            return dataclasses.replace(self, overflow=0)
        return State()


@dataclasses.dataclass(slots=True)
class End:
    """The data ended on a batch boundary: the epoch is over, with this state."""

    state: State


@dataclasses.dataclass(slots=True)
class Batch:
    """One batch as arrays, and the state after it (the consumer adopts it on taking it)."""

    data: Array
    label: Array
    pad: int
    index: Array
    state: State


class Batcher:
    """Cuts the row streams into batches by MXNet's BatchLoader rules; see :meth:`epoch`."""

    def __init__(self, opts: CSVIterOptions, pool: concurrent.futures.Executor, depth: int):
        self.opts = opts
        self.data = RowStream(
            resolve_paths(opts.data_csv, "data_csv"),
            BlockParser(math.prod(opts.data_shape), opts.dtype),
            pool,
            opts.block_bytes,
            depth,
        )
        self.label: RowStream | None = None
        if opts.label_csv is not None:
            self.label = RowStream(
                resolve_paths(opts.label_csv, "label_csv"),
                BlockParser(math.prod(opts.label_shape), opts.dtype),
                pool,
                opts.block_bytes,
                depth,
            )

    def _state(self, cursor: int, **flags: Any) -> State:
        label = self.label.position() if self.label is not None else START
        return State(cursor, self.data.position(), label, **flags)

    def _seek(self, state: State) -> None:
        self.data.seek(state.data)
        if self.label is not None:
            self.label.seek(state.label)

    def _labels(self, count: int, cursor: int) -> Array:
        """Labels of data rows cursor..cursor+count-1, shaped as the batch holds them."""
        o = self.opts
        if self.label is None:
            return np.zeros(count, o.dtype)
        rows = self.label.take(count)
        if len(rows) < count:
            raise ValueError(
                f"CSVIter: label_csv {o.label_csv!r} has fewer rows than data_csv "
                f"{o.data_csv!r}: it ends after {cursor + len(rows)} rows"
            )
        return rows.reshape(count, *o.label_row_shape)

    def _check_labels_end(self, rows: int) -> None:
        if self.label is not None and len(self.label.take(1)):
            raise ValueError(
                f"CSVIter: label_csv {self.opts.label_csv!r} has more rows than data_csv "
                f"{self.opts.data_csv!r}, which ends after {rows} rows"
            )

    def epoch(self, state: State) -> Generator[Batch | End]:
        """The batches from `state` to the end of its epoch, each with the state after it.

        The last item is a batch whose state is ``over``, or an :class:`End`
        when the data ends on a batch boundary.
        """
        o = self.opts
        size = o.batch_size
        self._seek(state)
        cursor = state.cursor
        while True:
            rows = self.data.take(size)
            got = len(rows)
            if got == 0 and cursor == 0:
                raise ValueError(f"CSVIter: data_csv {o.data_csv!r} holds no rows")
            parts = [(rows, self._labels(got, cursor), _arange(cursor, got))]
            cursor += got
            if got == size:
                yield self._batch(parts, 0, self._state(cursor))
                continue
            self._check_labels_end(cursor)
            if got == 0:
                yield End(self._state(cursor, exhausted=True))
                return
            if not o.round_batch:  # MXNet leaves stale rows in the padding; recio zeros
                yield self._batch(parts, size - got, self._state(cursor, exhausted=True))
                return
            need = size - got
            while need:  # complete the batch from the start, cycling if the data is short
                self._seek(State())
                more = self.data.take(need)
                if not len(more):
                    raise ValueError(f"CSVIter: data_csv {o.data_csv!r} changed while read")
                parts.append((more, self._labels(len(more), 0), _arange(0, len(more))))
                cursor, need = len(more), need - len(more)
                if need:
                    self._check_labels_end(cursor)
            yield self._batch(parts, size - got, self._state(cursor, overflow=size - got))
            return

    def _batch(self, parts: list[tuple[Array, Array, Array]], pad: int, state: State) -> Batch:
        o = self.opts
        if len(parts) > 1:
            data, label, index = (np.concatenate(p) for p in zip(*parts, strict=True))
        elif pad:  # round_batch off: zeros after the real rows
            data, label, index = (_zero_padded(a, o.batch_size) for a in parts[0])
        else:
            data, label, index = parts[0]
        return Batch(data.reshape(len(data), *o.data_shape), label, pad, index, state)

    def close(self) -> None:
        self.data.close()
        if self.label is not None:
            self.label.close()


def _arange(start: int, count: int) -> Array:
    return np.arange(start, start + count, dtype=np.uint64)


def _zero_padded(a: Array, size: int) -> Array:
    out = np.zeros((size, *a.shape[1:]), a.dtype)
    out[: len(a)] = a
    return out

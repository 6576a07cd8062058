"""What every .rec image iterator shares: records of a part, epochs, batches, state, threads.

:class:`RecordBatchIter` owns MXNet's iterator surface for iterators that fill
batches on the batch engine (:mod:`recio._pipeline`) from the records of a part
(:mod:`recio._io._record_plan`): ``next``/``reset``/``get*``, ``provide_data``,
``state_dict``/``load_state_dict``, ``close``, and the bookkeeping of bad
records. A subclass opens its records with :meth:`_open_records`, fills rows in
``_fill`` with buffers from ``_make_buffers``, says its ``provide_label``, and
starts the workers with :meth:`_start_workers` once it is ready to fill.
"""

from __future__ import annotations

import os
import threading
import warnings
from typing import Any, Self

import numpy as np

from recio._distributed import PartArg, resolve_parts
from recio._io._record_plan import EpochPlan, Sample, part_records, plan_record_epoch
from recio._io._record_store import RecordStore, rec_files
from recio._io.base import DataBatch, DataDesc, DataIter
from recio._pipeline import BatchEngine
from recio.nd import NDArray

__all__ = ["BadImageWarning", "RecordBatchIter"]

_PART_KEYS = ("num_parts", "part_index", "even_parts")
_WORD = 2**64 - 1
_ZEROS = np.zeros(4, np.uint64)


class BadImageWarning(UserWarning):
    """A record whose image could not be used was skipped."""


class BadImage(ValueError):  # noqa: N818 - internal signal, never escapes the fill
    """A record that cannot give a row: caught by the fill, skipped or raised."""


class RecordBatchIter(DataIter):
    """Base of ImageRecordIter and ImageDetRecordIter; see the module docstring.

    Subclasses set ``options`` (with ``seed``, ``shuffle``, ``round_batch``,
    ``data_name``, ``preprocess_threads``, ``prefetch_buffer``), ``_shape``
    (C, H, W) and ``_dtype`` before using the helpers here.
    """

    _where = "RecordBatchIter"
    options: Any
    _shape: tuple[int, int, int]
    _dtype: Any

    def _open_records(
        self, path_imgrec: str | list[str], num_parts: PartArg, part_index: PartArg
    ) -> None:
        """The records of this iterator's part, and the bad-record bookkeeping."""
        self._store = RecordStore(rec_files(path_imgrec))
        self._parts = resolve_parts(num_parts, part_index, where=self._where)
        self._positions = part_records(self._store.offsets, self._store.total_size, self._parts)
        self._lock = threading.Lock()
        self._bad: set[int] = set()
        self.skipped = 0
        self._rng_local = threading.local()

    def _start_workers(self) -> int:
        """Start the worker threads on the first epoch; returns how many there are."""
        opts = self.options
        threads: int = max(1, min(opts.preprocess_threads, os.cpu_count() or 1))
        self._engine = BatchEngine(
            self._fill,
            self._make_buffers,
            num_threads=threads,
            prefetch=max(1, opts.prefetch_buffer),
            name=self._where,
        )
        self._epoch = 0
        self._start = 0
        self._begin_epoch(consumed=0)
        return threads

    # -- hooks ---------------------------------------------------------------------

    def _fill(self, sample: Sample, buffers: tuple[Any, ...], slot: int) -> None:
        raise NotImplementedError

    def _make_buffers(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def _label_view(self, label: Any) -> Any:
        """The label array a batch hands out for the label buffer."""
        return label

    def _row_rng(self, epoch: int, row: int) -> np.random.Generator:
        """The generator of row `row` of `epoch`: Philox keyed by ``(seed, epoch << 32 | row)``,
        at the start of its stream.

        This thread's one generator, reset to that key (a fresh ``Philox(key=...)`` costs
        ten times more, most of it gathering entropy it then ignores); valid until the
        thread's next call, which is all a fill needs.
        """
        local = self._rng_local
        gen: np.random.Generator | None = getattr(local, "gen", None)
        if gen is None:
            gen = local.gen = np.random.Generator(np.random.Philox(key=0))
        key = np.array([self.options.seed & _WORD, (epoch << 32 | row) & _WORD], np.uint64)
        gen.bit_generator.state = {  # the setter copies the values in
            "bit_generator": "Philox",
            "state": {"counter": _ZEROS, "key": key},
            "buffer": _ZEROS,
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }
        return gen

    # -- bad records ---------------------------------------------------------------

    def _note_bad(self, position: int, error: Exception) -> None:
        with self._lock:
            if position in self._bad:
                return
            self._bad.add(position)
            self.skipped += 1
        warnings.warn(
            f"{self._where}: skipped a bad record ({error}); its rows get the next good "
            "record of the part",
            BadImageWarning,
            stacklevel=2,
        )

    # -- epochs ----------------------------------------------------------------------

    def _plan(self) -> EpochPlan:
        opts = self.options
        return plan_record_epoch(
            self._parts,
            len(self._positions),
            self.batch_size,
            self._epoch,
            self._start,
            shuffle=opts.shuffle,
            seed=opts.seed,
            round_batch=opts.round_batch,
        )

    def _begin_epoch(self, consumed: int) -> None:
        self._current_plan = self._plan()
        self._consumed = consumed
        self._engine.start(self._current_plan.batches[consumed:])
        self._batch: DataBatch | None = None

    def reset(self) -> None:
        """Start the next epoch (after what a round batch took from it, if the epoch ended)."""
        finished = self._consumed >= len(self._current_plan.batches)
        self._start = self._current_plan.next_start if finished else 0
        self._epoch += 1
        self._begin_epoch(consumed=0)

    def next(self) -> DataBatch:
        got = self._engine.next()
        if got is None:
            raise StopIteration
        (data, label, index), _ = got
        pad = self._current_plan.pads[self._consumed]
        self._consumed += 1
        self._batch = DataBatch(
            data=[data.view(NDArray)],
            label=[self._label_view(label).view(NDArray)],
            pad=pad,
            index=index.copy(),
            provide_data=self.provide_data,
            provide_label=self.provide_label,
        )
        return self._batch

    def iter_next(self) -> bool:
        try:
            self.next()
        except StopIteration:
            return False
        return True

    def getdata(self) -> Any:
        return self._batch.data if self._batch else None

    def getlabel(self) -> Any:
        return self._batch.label if self._batch else None

    def getpad(self) -> Any:
        return self._batch.pad if self._batch else 0

    def getindex(self) -> Any:
        return self._batch.index if self._batch else None

    @property
    def provide_label(self) -> list[DataDesc]:
        raise NotImplementedError

    @property
    def provide_data(self) -> list[DataDesc]:
        return [DataDesc(self.options.data_name, (self.batch_size, *self._shape), self._dtype.type)]

    # -- checkpointing -----------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        return {
            "epoch": self._epoch,
            "start": self._start,
            "consumed": self._consumed,
            "records": len(self._positions),
            "batch_size": self.batch_size,
            "seed": self.options.seed,
            "shuffle": self.options.shuffle,
            "num_parts": self._parts.num_parts,
            "part_index": self._parts.part_index,
            "even_parts": self._parts.even,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        mine = self.state_dict()
        for key in ("records", "batch_size", "seed", "shuffle", *_PART_KEYS):
            if key in _PART_KEYS and key not in state:
                continue  # saved before recio recorded the parts
            if state[key] != mine[key]:
                raise ValueError(
                    f"{self._where}: the state was saved with {key}={state[key]!r}, this "
                    f"iterator has {key}={mine[key]!r}"
                )
        self._epoch = int(state["epoch"])
        self._start = int(state["start"])
        self._begin_epoch(consumed=int(state["consumed"]))

    # -- lifetime --------------------------------------------------------------------

    def close(self) -> None:
        """Stop the worker threads; the iterator cannot be used afterwards."""
        self._engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""MXNet's iterator wrappers: ``ResizeIter`` (a fixed number of batches per epoch) and
``PrefetchingIter`` (the next batch is read in a background thread).

Both keep MXNet 1.9.1's semantics and add ``state_dict()``/``load_state_dict()`` by
delegating to the wrapped iterators. PrefetchingIter also fixes what MXNet's version
gets wrong about threads: an exception raised by a wrapped iterator is re-raised in the
consumer instead of hanging it, and ``close()`` (or ``with``) stops every thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import weakref
from collections.abc import Sequence
from typing import Any

from recio._io.base import DataBatch, DataDesc, DataIter
from recio._params import InvalidParameterError, parse_params

__all__ = ["PrefetchingIter", "ResizeIter"]

STATE_VERSION = 1


# -- ResizeIter ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ResizeIterOptions:
    """ResizeIter's parameters; defaults are MXNet 1.9.1's."""

    size: int
    reset_internal: bool = True

    def __post_init__(self) -> None:
        if self.size < 0:
            raise InvalidParameterError(f"ResizeIter: size must be >= 0, got {self.size}")


class ResizeIter(DataIter):
    """Exactly `size` batches per epoch from `data_iter`, restarting it when it runs out.

    ``reset()`` also resets `data_iter` when `reset_internal` is true; otherwise the next
    epoch continues where this one stopped. As in MXNet, ``provide_data`` and
    ``provide_label`` are those of `data_iter` when the wrapper is made.
    """

    def __init__(self, data_iter: Any, size: int, reset_internal: bool = True):
        opts = parse_params(
            ResizeIterOptions, "ResizeIter", {"size": size, "reset_internal": reset_internal}
        )
        super().__init__(getattr(data_iter, "batch_size", 0))
        self.data_iter = data_iter
        self.size = opts.size
        self.reset_internal = opts.reset_internal
        self.cur = 0
        self.current_batch: DataBatch | None = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        if hasattr(data_iter, "default_bucket_key"):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self) -> None:
        """Start a new epoch of `size` batches."""
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self) -> bool:
        """Take the next batch of the wrapped iterator, restarting it at its end."""
        if self.cur >= self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True

    def _batch(self) -> DataBatch:
        if self.current_batch is None:
            raise RuntimeError("ResizeIter: no current batch; call iter_next() or next() first")
        return self.current_batch

    def getdata(self) -> Any:
        return self._batch().data

    def getlabel(self) -> Any:
        return self._batch().label

    def getindex(self) -> Any:
        return self._batch().index

    def getpad(self) -> Any:
        return self._batch().pad

    def state_dict(self) -> dict[str, Any]:
        """The count of batches taken this epoch and the wrapped iterator's state."""
        return {"version": STATE_VERSION, "cur": self.cur, "inner": self.data_iter.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict` of a ResizeIter over an equal iterator."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(
                f"ResizeIter.load_state_dict: state version {state.get('version')!r} is not "
                f"{STATE_VERSION}; was it saved by another iterator?"
            )
        self.data_iter.load_state_dict(state["inner"])
        self.cur = int(state["cur"])
        self.current_batch = None


# -- PrefetchingIter -------------------------------------------------------------------

_FETCH = "fetch"
_STOP = "stop"
_POLL_S = 0.5  # how often a waiting consumer checks that the worker thread is alive


@dataclasses.dataclass(slots=True)
class _Fetched:
    """What a worker made of one fetch request.

    `state` is the wrapped iterator's state *before* the fetch (None when it has no
    ``state_dict``), so that a checkpoint can "un-take" a batch that was read ahead.
    `batch` is None at the end of the epoch; `error` is what ``next()`` raised.
    """

    state: dict[str, Any] | None
    batch: DataBatch | None = None
    error: BaseException | None = None


def _prefetch_worker(
    it: Any, requests: queue.Queue[str], results: queue.Queue[_Fetched], stop: threading.Event
) -> None:
    """Body of thread ``recio-prefetch-<i>``: reads batches of `it` on request.

    For each ``_FETCH`` taken from `requests` it puts exactly one :class:`_Fetched` on
    `results`: the batch, None at the end of the epoch, or the exception ``it.next()``
    raised (any exception; the thread lives on). It returns on ``_STOP`` or when `stop` is
    set. The consumer sends a fetch only after taking the previous result, so both
    queues hold at most one request/result (plus one ``_STOP``) and never block the
    worker. It holds no reference to the PrefetchingIter, which can thus be collected.
    """
    with_state = callable(getattr(it, "state_dict", None))
    while True:
        request = requests.get()
        if request == _STOP or stop.is_set():
            return
        state = None
        if with_state:
            try:
                state = it.state_dict()
            except NotImplementedError:
                with_state = False
        try:
            results.put(_Fetched(state, it.next()))
        except StopIteration:
            results.put(_Fetched(state))
        except BaseException as e:  # re-raised by the consumer; the thread must not die
            results.put(_Fetched(state, error=e))


def _shutdown(stop: threading.Event, requests: list[queue.Queue[str]]) -> None:
    """Ask every worker to end (used by close() and when the iterator is collected)."""
    stop.set()
    for q in requests:
        with contextlib.suppress(queue.Full):  # the protocol leaves room for one _STOP
            q.put_nowait(_STOP)


class PrefetchingIter(DataIter):
    """Reads the next batch of each of `iters` in a background thread (MXNet's semantics).

    With several iterators, a batch joins their batches: data and labels concatenated
    in order, ``pad`` and ``index`` of the first (all pads must agree), and the batch
    carries ``provide_data``/``provide_label``. ``rename_data``/``rename_label`` are one
    ``{old: new}`` dict per iterator.

    One batch per iterator is read ahead, starting at construction. An exception raised
    by a wrapped iterator is re-raised by ``next()`` (with a note saying so); calling
    ``next()`` again asks for the following batch. ``close()`` -- or leaving a ``with``
    block -- stops the threads; the wrapped iterators are not closed.
    """

    def __init__(
        self,
        iters: Any,
        rename_data: Sequence[dict[str, str]] | None = None,
        rename_label: Sequence[dict[str, str]] | None = None,
    ):
        super().__init__()
        self.iters: list[Any] = list(iters) if isinstance(iters, list | tuple) else [iters]
        if not self.iters:
            raise ValueError("PrefetchingIter: iters is empty; give at least one iterator")
        self.n_iter = len(self.iters)
        self.rename_data = self._check_renames(rename_data, "rename_data", "provide_data")
        self.rename_label = self._check_renames(rename_label, "rename_label", "provide_label")
        first = self.provide_data[0]
        self.batch_size = first[1][DataDesc.get_batch_axis(getattr(first, "layout", None))]
        self.current_batch: DataBatch | None = None
        self._pending: list[_Fetched | None] = [None] * self.n_iter
        self._stop = threading.Event()
        self._requests: list[queue.Queue[str]] = [queue.Queue(2) for _ in self.iters]
        self._results: list[queue.Queue[_Fetched]] = [queue.Queue(1) for _ in self.iters]
        self._threads = [
            threading.Thread(
                target=_prefetch_worker,
                args=(it, self._requests[i], self._results[i], self._stop),
                name=f"recio-prefetch-{i}",
                daemon=True,
            )
            for i, it in enumerate(self.iters)
        ]
        self._closed = False
        self._finalizer = weakref.finalize(self, _shutdown, self._stop, self._requests)
        for thread in self._threads:
            thread.start()
        self._request_all()

    def _check_renames(
        self, renames: Sequence[dict[str, str]] | None, what: str, attr: str
    ) -> list[dict[str, str]] | None:
        """Check that `renames` has one dict per iterator naming each of its inputs."""
        if renames is None:
            return None
        renames = list(renames)
        if len(renames) != self.n_iter:
            raise ValueError(
                f"PrefetchingIter: {what} has {len(renames)} dicts for {self.n_iter} "
                "iterators; give one {old_name: new_name} dict per iterator"
            )
        for i, (mapping, it) in enumerate(zip(renames, self.iters, strict=True)):
            for desc in getattr(it, attr):
                if desc[0] not in mapping:
                    raise ValueError(
                        f"PrefetchingIter: {what}[{i}] = {mapping!r} has no entry for "
                        f"{desc[0]!r}; name every input of iterator {i}'s {attr}"
                    )
        return renames

    @staticmethod
    def _renamed(descs: Sequence[Any], mapping: dict[str, str]) -> list[DataDesc]:
        out = []
        for desc in descs:
            d = desc if isinstance(desc, DataDesc) else DataDesc(*desc)
            out.append(DataDesc(mapping[d.name], d.shape, d.dtype, d.layout))
        return out

    def _describe(self, attr: str, renames: list[dict[str, str]] | None) -> list[DataDesc]:
        if renames is None:
            return [desc for it in self.iters for desc in getattr(it, attr)]
        return [
            desc
            for it, mapping in zip(self.iters, renames, strict=True)
            for desc in self._renamed(getattr(it, attr), mapping)
        ]

    @property
    def provide_data(self) -> list[DataDesc]:
        """The wrapped iterators' data descriptions, in order, renamed."""
        return self._describe("provide_data", self.rename_data)

    @property
    def provide_label(self) -> list[DataDesc]:
        """The wrapped iterators' label descriptions, in order, renamed."""
        return self._describe("provide_label", self.rename_label)

    # -- talking to the workers ------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("PrefetchingIter: the iterator is closed")

    def _request_all(self) -> None:
        for q in self._requests:
            q.put(_FETCH)

    def _collect(self) -> list[_Fetched]:
        """Wait until every worker has answered its outstanding request."""
        for i, result in enumerate(self._pending):
            if result is not None:
                continue
            while True:
                try:
                    self._pending[i] = self._results[i].get(timeout=_POLL_S)
                    break
                except queue.Empty:
                    if not self._threads[i].is_alive():
                        raise RuntimeError(
                            f"PrefetchingIter: worker thread {i} ended unexpectedly"
                        ) from None
        return [r for r in self._pending if r is not None]

    # -- MXNet's surface -------------------------------------------------------------

    def reset(self) -> None:
        """Wait for the batches in flight, reset every wrapped iterator, read ahead again."""
        self._check_open()
        self._collect()
        for it in self.iters:
            it.reset()
        self._pending = [None] * self.n_iter
        self._request_all()

    def iter_next(self) -> bool:
        """Take the batches read ahead (re-raising a worker's exception); False at the end."""
        self._check_open()
        fetched = self._collect()
        for i, f in enumerate(fetched):
            if f.error is not None:
                self._pending = [None] * self.n_iter  # the next call asks for new batches
                self._request_all()
                f.error.add_note(f"(raised by iterator {i} in PrefetchingIter's worker thread)")
                raise f.error
        ended = [f.batch is None for f in fetched]
        if all(ended):
            return False  # stays at the end, as MXNet does, until reset()
        if any(ended):
            raise ValueError(
                "PrefetchingIter: the wrapped iterators yield different numbers of batches "
                f"(iterator {ended.index(True)} has ended, iterator {ended.index(False)} has "
                "not); they must all have the same length"
            )
        batches = [f.batch for f in fetched if f.batch is not None]
        pads = [b.pad for b in batches]
        if any(p != pads[0] for p in pads):
            raise ValueError(
                f"PrefetchingIter: the wrapped iterators' batches have different pads {pads}; "
                "they must hold the same number of examples"
            )
        self.current_batch = DataBatch(
            data=[d for b in batches for d in b.data or []],
            label=[lab for b in batches for lab in b.label or []],
            pad=pads[0],
            index=batches[0].index,
            provide_data=self.provide_data,
            provide_label=self.provide_label,
        )
        self._pending = [None] * self.n_iter
        self._request_all()
        return True

    def next(self) -> DataBatch:
        """The next joined batch; raises StopIteration at the end of the epoch."""
        if self.iter_next():
            assert self.current_batch is not None
            return self.current_batch
        raise StopIteration

    def _batch(self) -> DataBatch:
        if self.current_batch is None:
            raise RuntimeError(
                "PrefetchingIter: no current batch; call iter_next() or next() first"
            )
        return self.current_batch

    def getdata(self) -> Any:
        return self._batch().data

    def getlabel(self) -> Any:
        return self._batch().label

    def getindex(self) -> Any:
        return self._batch().index

    def getpad(self) -> Any:
        return self._batch().pad

    # -- threads -----------------------------------------------------------------------

    def close(self) -> None:
        """Stop and join the worker threads. Safe to call twice; next() then raises."""
        if self._closed:
            return
        self._closed = True
        self._finalizer.detach()
        _shutdown(self._stop, self._requests)
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> PrefetchingIter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- beyond MXNet: checkpointing -------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The wrapped iterators' states before the batches read ahead (not yet taken)."""
        self._check_open()
        states = [f.state for f in self._collect()]
        for i, state in enumerate(states):
            if state is None:
                raise NotImplementedError(
                    f"PrefetchingIter: iterator {i} ({type(self.iters[i]).__name__}) does not "
                    "implement state_dict()"
                )
        return {"version": STATE_VERSION, "iters": states}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Drop the batches read ahead, load each wrapped iterator's state, read ahead again."""
        self._check_open()
        if state.get("version") != STATE_VERSION or len(state["iters"]) != self.n_iter:
            raise ValueError(
                "PrefetchingIter.load_state_dict: expected the state of a PrefetchingIter "
                f"over {self.n_iter} iterators (version {STATE_VERSION})"
            )
        self._collect()
        for it, inner in zip(self.iters, state["iters"], strict=True):
            it.load_state_dict(inner)
        self.current_batch = None
        self._pending = [None] * self.n_iter
        self._request_all()

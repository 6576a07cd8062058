"""Runs a generator ahead of its consumer in one named daemon thread (CSVIter's prefetch).

Contract of the worker (:func:`_work`): it puts every item the generator
yields on a queue of at most `depth` items; when the generator ends it puts
``_DONE``; when it raises, a ``_Failed`` carrying the exception, which
:meth:`Prefetcher.get` re-raises in the consumer. Each ``put`` waits at most
``_POLL`` seconds at a time and checks the stop event, so :meth:`stop` (set
the event, drain the queue, join) returns once the worker finishes the item it
is computing. ``depth`` 0 means no thread: :meth:`get` runs the generator in
the caller.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["Prefetcher"]

_POLL = 0.05
_DONE = object()


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


def _work(items: Iterator[Any], out: queue.Queue[Any], stop: threading.Event) -> None:
    """Put `items` on `out` until they end, fail, or `stop` is set (module docstring)."""
    try:
        for item in items:
            if not _put(out, item, stop):
                return
        _put(out, _DONE, stop)
    except BaseException as e:  # re-raised in the consumer, whatever it is
        _put(out, _Failed(e), stop)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _put(out: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            out.put(item, timeout=_POLL)
            return True
        except queue.Full:
            continue
    return False


class Prefetcher:
    """One generator at a time, run up to `depth` items ahead; see the module docstring."""

    def __init__(self, depth: int, name: str):
        self.depth = depth
        self.name = name
        self._thread: threading.Thread | None = None
        self._queue: queue.Queue[Any] | None = None
        self._stop = threading.Event()
        self._sync: Iterator[Any] | None = None

    @property
    def running(self) -> bool:
        """Whether a generator was started and not stopped (it may have finished)."""
        return self._thread is not None or self._sync is not None

    def start(self, factory: Callable[..., Iterator[Any]], *args: Any) -> None:
        """Run ``factory(*args)``; the previous generator must have been stopped."""
        assert not self.running, "stop() the previous generator first"
        items = factory(*args)
        if self.depth == 0:
            self._sync = items
            return
        self._stop = threading.Event()
        self._queue = queue.Queue(self.depth)
        self._thread = threading.Thread(
            target=_work, args=(items, self._queue, self._stop), name=self.name, daemon=True
        )
        self._thread.start()

    def get(self) -> Any:
        """The next item, or None once the generator has ended; raises what it raised."""
        if self._sync is not None:
            try:
                return next(self._sync, None)
            except BaseException:
                self.stop()
                raise
        thread, out = self._thread, self._queue
        if thread is None or out is None:
            return None
        while True:
            try:
                item = out.get(timeout=_POLL)
                break
            except queue.Empty:
                if not thread.is_alive() and out.empty():  # never hang on a dead worker
                    return None
        if item is _DONE:
            return None
        if isinstance(item, _Failed):
            self.stop()
            raise item.error
        return item

    def stop(self) -> None:
        """End the generator and its thread (discarding what was prefetched); safe to repeat."""
        sync, self._sync = self._sync, None
        if sync is not None:
            close = getattr(sync, "close", None)
            if close is not None:
                close()
        thread, out = self._thread, self._queue
        self._thread = self._queue = None
        if thread is None or out is None:
            return
        self._stop.set()
        while thread.is_alive():
            try:
                while True:
                    out.get_nowait()
            except queue.Empty:
                pass
            thread.join(_POLL)

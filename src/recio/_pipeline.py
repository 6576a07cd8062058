"""The parallel batch engine every image iterator runs on.

Contract
--------
An epoch is a *plan*: a list of batches, each a list of sample tasks (whatever
the iterator needs to make one sample: a record offset, a label row, an RNG
seed). ``num_threads`` worker threads claim samples one at a time in plan order
and call ``fill(task, buffers, slot)``, which writes sample ``slot`` of the
batch straight into that batch's buffers (decoding, augmentation and
normalisation fused in; OpenCV and numpy release the GIL while they work).
The consumer gets whole batches strictly in plan order, whatever the thread
timing, so the output depends only on the plan and the tasks.

At most ``prefetch`` batches are being filled or waiting ahead of the
consumer (bounded memory). Buffers come from ``make_buffers()`` and are reused:
when the consumer asks for batch k+1, batch k's buffers return to the pool,
and are refilled only if nothing outside the engine still references them (a
caller that kept a batch keeps valid data; the pool makes a fresh buffer set
instead). A task that raises makes its batch raise :class:`SampleError` in the
consumer, naming the task; the other workers carry on. ``close()`` stops and
joins every thread; it is safe to call twice and runs at garbage collection.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["BatchEngine", "SampleError"]

Buffers = tuple[Any, ...]  # the arrays one batch is written into
Fill = Callable[[Any, Buffers, int], None]


class SampleError(RuntimeError):
    """A sample's ``fill`` raised; ``task`` says which sample, ``__cause__`` what happened."""

    def __init__(self, message: str, task: Any):
        super().__init__(message)
        self.task = task


class _Batch:
    __slots__ = ("buffers", "error", "error_slot", "index", "remaining", "tasks")

    def __init__(self, index: int, tasks: Sequence[Any]):
        self.index = index
        self.tasks = tasks
        self.remaining = len(tasks)
        self.buffers: Buffers | None = None
        self.error: BaseException | None = None
        self.error_slot = -1  # the slot `error` came from: the first failing one reported


class _State:
    """Everything the workers share, guarded by the lock of ``work`` and ``done``; kept
    apart from the engine so that worker threads do not keep the engine (and its
    finaliser) alive."""

    def __init__(self, fill: Fill, make_buffers: Callable[[], Buffers], prefetch: int):
        lock = threading.Lock()
        # Two conditions on one lock, so that a finished sample wakes nobody: workers wait
        # on `work` (woken when a batch is consumed or a plan starts), the consumer and
        # start() on `done` (woken when a batch completes, or the last busy sample ends
        # while start() drains).
        self.work = threading.Condition(lock)
        self.done = threading.Condition(lock)
        self.draining = False  # start() is waiting for the busy samples to end
        self.fill = fill
        self.make_buffers = make_buffers
        self.prefetch = prefetch
        self.pool: list[Buffers] = []
        self.batches: list[_Batch] = []
        self.claim_batch = 0  # next sample to hand out: batch, slot
        self.claim_slot = 0
        self.consumed = 0  # batches handed to the consumer
        self.busy = 0  # samples being filled right now
        self.generation = 0  # bumped by every new plan: stale work is dropped
        self.stopped = False

    def take_buffers(self) -> Buffers:
        """A free buffer set: one from the pool that nobody outside holds, else a new one.

        A set the caller still holds (the batch it is looking at) stays in the pool for a
        later turn; the pool keeps at most ``prefetch + 2`` sets, dropping the oldest.
        """
        for i, candidate in enumerate(self.pool):
            if _unreferenced(candidate):
                del self.pool[i]
                return candidate
        del self.pool[: max(0, len(self.pool) - self.prefetch - 1)]
        return self.make_buffers()


def _unreferenced(buffers: tuple[Any, ...]) -> bool:
    # each part is held by the tuple, the loop variable and getrefcount's argument;
    # anything more is a caller still holding the array or a view of it
    return all(sys.getrefcount(part) <= 3 for part in buffers)


def _work(state: _State) -> None:
    """Worker loop: claim the next sample in plan order, fill it, count the batch down.

    Waits while the next sample's batch would run more than ``prefetch`` batches
    ahead of the consumer. Exits when ``stopped`` is set.
    """
    lock = state.work
    while True:
        with lock:
            while not state.stopped and not _claimable(state):
                lock.wait()
            if state.stopped:
                return
            batch = state.batches[state.claim_batch]
            slot = state.claim_slot
            if slot == 0:
                batch.buffers = state.take_buffers()
            state.claim_slot += 1
            if state.claim_slot == len(batch.tasks):
                state.claim_batch += 1
                state.claim_slot = 0
            state.busy += 1
            generation = state.generation
            buffers = batch.buffers
        assert buffers is not None
        error: BaseException | None = None
        try:
            state.fill(batch.tasks[slot], buffers, slot)
        except BaseException as e:  # reported to the consumer, never lost in the thread
            error = e
        with lock:
            state.busy -= 1
            if generation == state.generation:
                # of several failing samples the batch reports the first in batch order,
                # whichever thread failed first: the same error whatever the timing
                if error is not None and (batch.error is None or slot < batch.error_slot):
                    batch.error_slot = slot
                    batch.error = SampleError(
                        f"sample {slot} of batch {batch.index} ({batch.tasks[slot]!r}) "
                        f"failed: {error!r}",
                        batch.tasks[slot],
                    )
                    batch.error.__cause__ = error
                batch.remaining -= 1
                if not batch.remaining:
                    state.done.notify_all()
            if state.draining and not state.busy:
                state.done.notify_all()


def _claimable(state: _State) -> bool:
    if state.claim_batch >= len(state.batches):
        return False
    return state.claim_batch < state.consumed + state.prefetch


class BatchEngine:
    """Fills batches of a plan on worker threads and hands them out in order."""

    def __init__(
        self,
        fill: Fill,
        make_buffers: Callable[[], Buffers],
        *,
        num_threads: int,
        prefetch: int,
        name: str = "recio",
    ):
        """`make_buffers()` returns a tuple of arrays for one batch; `fill(task, buffers,
        slot)` writes one sample into them."""
        if num_threads < 1:
            raise ValueError(f"num_threads must be at least 1, got {num_threads}")
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, got {prefetch}")
        self._state = _State(fill, make_buffers, prefetch)
        self._last: _Batch | None = None
        self._threads = [
            threading.Thread(
                target=_work, args=(self._state,), name=f"{name}-worker-{i}", daemon=True
            )
            for i in range(num_threads)
        ]
        for thread in self._threads:
            thread.start()
        self._finalizer = weakref.finalize(self, _shutdown, self._state, self._threads)

    def start(self, plan: Sequence[Sequence[Any]]) -> None:
        """Drop whatever is in flight and begin filling `plan` (a list of batches of tasks)."""
        state = self._state
        with state.done:
            state.generation += 1
            state.draining = True
            while state.busy:  # in-flight samples write into buffers: let them finish
                state.done.wait()
            state.draining = False
            for batch in state.batches:
                if batch.buffers is not None and batch is not self._last:
                    state.pool.append(batch.buffers)
            state.batches = [_Batch(i, tasks) for i, tasks in enumerate(plan) if len(tasks)]
            state.claim_batch = state.claim_slot = 0
            state.consumed = 0
            self._recycle_last()
            state.work.notify_all()

    def next(self) -> tuple[Buffers, Sequence[Any]] | None:
        """(buffers, tasks) of the next batch in plan order, or None after the last.

        Raises :class:`SampleError` if a sample of that batch failed.
        """
        state = self._state
        with state.done:
            self._recycle_last()
            if state.stopped:
                raise RuntimeError("the batch engine is closed")
            if state.consumed >= len(state.batches):
                return None
            batch = state.batches[state.consumed]
            while batch.remaining and not state.stopped:
                state.done.wait()
            state.consumed += 1
            state.work.notify_all()  # the prefetch window moved on
            self._last = batch
            if batch.error is not None:
                raise batch.error
            assert batch.buffers is not None
            return batch.buffers, batch.tasks

    def _recycle_last(self) -> None:
        if self._last is not None and self._last.buffers is not None:
            self._state.pool.append(self._last.buffers)
            self._last.buffers = None
        self._last = None

    def close(self) -> None:
        """Stop the workers and wait for them; safe to call more than once."""
        self._finalizer()

    @property
    def alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)


def _shutdown(state: _State, threads: list[threading.Thread]) -> None:
    with state.work:
        state.stopped = True
        state.work.notify_all()
        state.done.notify_all()
        state.pool.clear()  # the buffers go now, not when a reference cycle is collected
        for batch in state.batches:
            batch.buffers = None
    current = threading.current_thread()
    for thread in threads:
        if thread is not current:
            thread.join()

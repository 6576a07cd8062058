"""The batch engine: order, bounded prefetch, buffer reuse, errors, shutdown."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import numpy as np
import pytest

from recio._pipeline import BatchEngine, SampleError


def make_engine(
    fill: Any = None, threads: int = 2, prefetch: int = 2, batch: int = 4
) -> tuple[BatchEngine, list[int]]:
    made: list[int] = []

    def make_buffers() -> tuple[np.ndarray, ...]:
        made.append(1)
        return (np.zeros((batch, 3), np.int64),)

    def default_fill(task: int, buffers: tuple[np.ndarray, ...], slot: int) -> None:
        time.sleep(random.random() * 0.002)  # scramble thread timing
        buffers[0][slot] = task

    engine = BatchEngine(fill or default_fill, make_buffers, num_threads=threads, prefetch=prefetch)
    return engine, made


def plan(n: int, batch: int = 4) -> list[list[int]]:
    return [list(range(i, min(i + batch, n))) for i in range(0, n, batch)]


def drain(engine: BatchEngine) -> list[list[int]]:
    out = []
    while (got := engine.next()) is not None:
        buffers, tasks = got
        out.append(buffers[0][: len(tasks), 0].tolist())
    return out


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_batches_come_in_plan_order_whatever_the_timing(threads: int) -> None:
    engine, _ = make_engine(threads=threads)
    try:
        for _ in range(3):
            engine.start(plan(37))
            assert drain(engine) == plan(37)
    finally:
        engine.close()


def test_buffers_are_reused_when_nobody_holds_them() -> None:
    engine, made = make_engine(prefetch=2)
    engine.start(plan(400))
    assert len(drain(engine)) == 100
    assert len(made) <= 4  # prefetch + the consumer's + one being recycled
    engine.close()


def test_a_batch_the_caller_keeps_is_never_overwritten() -> None:
    engine, made = make_engine(prefetch=1)
    engine.start(plan(40))
    kept = []
    while (got := engine.next()) is not None:
        kept.append(got[0][0])  # hold on to the array itself
    assert [k[:, 0].tolist() for k in kept] == plan(40)
    assert len(made) == 10
    engine.close()


def test_prefetch_bounds_work_ahead_of_the_consumer() -> None:
    started: list[int] = []

    def fill(task: int, buffers: tuple[np.ndarray, ...], slot: int) -> None:
        started.append(task)
        buffers[0][slot] = task

    engine, _ = make_engine(fill, prefetch=2)
    engine.start(plan(100))
    time.sleep(0.1)
    assert len(started) == 8  # two batches of 4, then the workers wait
    engine.next()
    time.sleep(0.1)
    assert len(started) == 12
    engine.close()


def test_a_failing_sample_raises_in_the_consumer_naming_it() -> None:
    def fill(task: int, buffers: tuple[np.ndarray, ...], slot: int) -> None:
        if task == 6:
            raise ValueError("bad jpeg")
        buffers[0][slot] = task

    engine, _ = make_engine(fill)
    engine.start(plan(12))
    assert engine.next() is not None
    with pytest.raises(SampleError, match=r"sample 2 of batch 1 \(6\) failed: ValueError") as e:
        engine.next()
    assert e.value.task == 6
    assert isinstance(e.value.__cause__, ValueError)
    assert engine.next() is not None  # the engine carries on
    engine.close()


def test_of_several_failing_samples_the_first_in_batch_order_is_reported() -> None:
    """Whichever thread fails first, the consumer sees the same error."""

    def fill(task: int, buffers: tuple[np.ndarray, ...], slot: int) -> None:
        if task in (1, 3):
            time.sleep(0.05 if task == 1 else 0)  # slot 3 fails long before slot 1
            raise ValueError(f"bad record {task}")
        buffers[0][slot] = task

    engine, _ = make_engine(fill, threads=4)
    engine.start(plan(4))
    with pytest.raises(SampleError, match="bad record 1") as e:
        engine.next()
    assert e.value.task == 1
    engine.close()


def test_restart_mid_epoch_drops_stale_work() -> None:
    engine, _ = make_engine()
    engine.start(plan(40))
    engine.next()
    engine.start([[100, 101, 102, 103], [104]])
    assert drain(engine) == [[100, 101, 102, 103], [104]]
    engine.close()


def test_close_stops_every_thread_and_is_idempotent() -> None:
    before = threading.active_count()
    engine, _ = make_engine(threads=3)
    engine.start(plan(1000))
    engine.next()
    engine.close()
    engine.close()
    assert not engine.alive
    assert threading.active_count() == before
    with pytest.raises(RuntimeError, match="closed"):
        engine.next()


def test_garbage_collection_stops_the_threads() -> None:
    import gc

    engine, _ = make_engine(threads=2)
    engine.start(plan(1000))
    threads = list(engine._threads)
    del engine
    gc.collect()
    for thread in threads:
        thread.join(timeout=5)
    assert not any(t.is_alive() for t in threads)


def test_empty_plan() -> None:
    engine, _ = make_engine()
    engine.start([])
    assert engine.next() is None
    engine.close()

"""One rank of ``tests/test_distributed.py``'s torchrun run (gloo, CPU, localhost).

Each rank builds ImageRecordIter, ImageIter and NDArrayIter with
``num_parts="auto"`` / ``part_index="auto"`` -- resolved from the initialised
process group: ``WORLD_SIZE`` and ``RANK`` are removed from the environment
first -- iterates each for two shuffled epochs, and gathers what it read with
``torch.distributed.all_gather``: per row the sample id (the record id from
``batch.index``; the NDArrayIter row from its label) and whether ``pad`` marks
it. Rank 0 then checks that the ranks read the same number of batches, that the
rows outside ``pad`` are disjoint and cover the data, that laid end to end in
rank order they are the whole dataset's permutation for the epoch (so the ranks
agree on it), and that the two epochs' permutations differ. Every rank reaches
every collective whatever the checks find, so a failure ends the run instead of
hanging it; rank 0 prints ``distributed check passed`` or exits with status 1.

Usage: ``torchrun --standalone --nproc-per-node 2 worker.py DATA.rec RECORDS``.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from recio import mx
from recio._distributed import world
from recio._io._record_plan import epoch_order as record_order
from recio._io.ndarray_iter import epoch_order as row_order

EPOCHS = 2
BATCH = 4
SEED = 5
ROWS = 29  # NDArrayIter's rows: odd, so the parts need a repeat and a padded batch


def read(it: Any, ids: Callable[[Any], np.ndarray]) -> list[tuple[int, np.ndarray]]:
    """Per epoch: (batches, rows as [id, is_pad] pairs)."""
    epochs = []
    for epoch in range(EPOCHS):
        if epoch:
            it.reset()
        rows, batches = [], 0
        for batch in it:
            batches += 1
            got = ids(batch).astype(np.int64)
            padded = np.zeros(len(got), np.int64)
            if batch.pad:
                padded[len(got) - batch.pad :] = 1
            rows.append(np.stack([got, padded], axis=1))
        epochs.append((batches, np.concatenate(rows) if rows else np.zeros((0, 2), np.int64)))
    return epochs


def gather(batches: int, rows: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Every rank's (batches, rows), gathered with all_gather (lengths first, then rows)."""
    size = dist.get_world_size()
    head = torch.tensor([batches, len(rows)], dtype=torch.int64)
    heads = [torch.zeros_like(head) for _ in range(size)]
    dist.all_gather(heads, head)
    longest = max(int(h[1]) for h in heads)
    mine = torch.full((longest, 2), -1, dtype=torch.int64)
    mine[: len(rows)] = torch.from_numpy(rows)
    everyone = [torch.zeros_like(mine) for _ in range(size)]
    dist.all_gather(everyone, mine)
    return [(int(h[0]), t[: int(h[1])].numpy()) for h, t in zip(heads, everyone, strict=True)]


def check(
    name: str, per_rank_epochs: list[list[tuple[int, np.ndarray]]], orders: list[np.ndarray]
) -> list[str]:
    """What is wrong with the gathered epochs of one iterator (empty: nothing)."""
    problems = []
    count = len(orders[0])
    sizes = len(per_rank_epochs)
    for epoch, order in enumerate(orders):
        ranks = [per_rank[epoch] for per_rank in per_rank_epochs]
        counts = [b for b, _ in ranks]
        if len(set(counts)) != 1:
            problems.append(f"{name} epoch {epoch}: batch counts differ between ranks: {counts}")
        fresh = [rows[rows[:, 1] == 0, 0] for _, rows in ranks]
        laid = np.concatenate(fresh)
        if len(set(laid.tolist())) != len(laid):
            problems.append(f"{name} epoch {epoch}: ranks' rows outside pad overlap")
        if sorted(laid.tolist()) != list(range(count)):
            problems.append(f"{name} epoch {epoch}: rows outside pad do not cover 0..{count - 1}")
        if laid.tolist() != order.tolist():
            problems.append(
                f"{name} epoch {epoch}: ranks' rows in rank order {laid.tolist()} are not the "
                f"whole dataset's permutation {order.tolist()}"
            )
        total = sum(len(rows) for _, rows in ranks)
        bound = count + (sizes - 1) + sizes * (BATCH - 1)
        if total > bound:
            problems.append(f"{name} epoch {epoch}: {total} rows, more than the bound {bound}")
    if orders[0].tolist() == orders[1].tolist():
        problems.append(f"{name}: both epochs have the same order")
    return problems


def main() -> int:
    rec, records = sys.argv[1], int(sys.argv[2])
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=60))
    os.environ.pop("WORLD_SIZE")  # "auto" must now come from the process group
    os.environ.pop("RANK")
    rank, size = dist.get_rank(), dist.get_world_size()
    problems = [] if world() == (size, rank) else [f"rank {rank}: world() is {world()}"]
    auto = {"num_parts": "auto", "part_index": "auto"}

    record_it = mx.io.ImageRecordIter(
        path_imgrec=rec,
        data_shape=(3, 8, 8),
        batch_size=BATCH,
        shuffle=True,
        seed=SEED,
        preprocess_threads=1,
        verbose=False,
        **auto,
    )
    image_it = mx.image.ImageIter(
        BATCH, (3, 8, 8), path_imgrec=rec, shuffle=True, seed=SEED, preprocess_threads=1, **auto
    )
    labels = np.arange(ROWS, dtype=np.float32)
    array_it = mx.io.NDArrayIter(
        np.zeros((ROWS, 3), np.float32), labels, BATCH, shuffle=True, seed=SEED, **auto
    )
    runs = [
        ("ImageRecordIter", read(record_it, lambda b: np.asarray(b.index)), records, record_order),
        ("ImageIter", read(image_it, lambda b: np.asarray(b.label[0])), records, record_order),
        ("NDArrayIter", read(array_it, lambda b: np.asarray(b.label[0])), ROWS, None),
    ]
    record_it.close()
    image_it.close()
    for name, epochs, count, order_of in runs:
        gathered = [gather(b, rows) for b, rows in epochs]  # [epoch][rank]
        per_rank = [[gathered[e][r] for e in range(EPOCHS)] for r in range(size)]
        if order_of is record_order:
            orders = [record_order(count, True, SEED, e) for e in range(EPOCHS)]
        else:
            orders = [row_order(count, SEED, e) for e in range(EPOCHS)]
        if rank == 0:
            problems += check(name, per_rank, orders)
    verdict = torch.tensor([len(problems)], dtype=torch.int64)
    dist.all_reduce(verdict)  # every rank learns whether any found a problem
    dist.destroy_process_group()
    for problem in problems:
        print(f"rank {rank}: {problem}", flush=True)
    if int(verdict[0]):
        return 1
    if rank == 0:
        print(f"distributed check passed: {size} ranks, {EPOCHS} epochs, 3 iterators", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

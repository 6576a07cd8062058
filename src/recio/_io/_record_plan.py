"""Which records an image iterator reads, in which order, batch by batch: pure functions.

A dataset is one or more .rec files read as one byte stream (a directory's
files in sorted name order). ``num_parts``/``part_index`` split that stream as
dmlc's InputSplit does in MXNet 1.9.1: into byte ranges of
``ceil(total / num_parts)`` rounded up to 4, each part owning the records that
*start* inside its range; so parts are disjoint and cover the data.

Epochs follow MXNet's ``round_batch`` (what MXNet 1.9.1 intends; it reports
stale ``pad`` values after ``reset()``, recio does not): epoch ``e`` reads its
order from position ``start_e``; a last batch with ``r < batch_size`` records is
completed from the front of epoch ``e + 1``'s order (``pad = batch_size - r``)
and epoch ``e + 1`` then starts after them. Without ``round_batch`` the last
batch is padded with empty rows and the next epoch starts at 0. With
``shuffle``, epoch ``e``'s order is a permutation that is a pure function of
``(seed, e)``.

Even parts (``num_parts="auto"``, :mod:`recio._distributed`) are planned by
:func:`plan_block_epoch` instead: each epoch, a rank batches its block of the
whole dataset's order, and a short last batch is filled from the front of the
same block (or with empty rows, or dropped, or carried), never from the next
epoch, so that each epoch is the dataset once.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from recio._distributed import Parts

__all__ = [
    "EpochPlan",
    "Sample",
    "epoch_order",
    "part_records",
    "partition",
    "plan_block_epoch",
    "plan_epoch",
    "plan_last_batch_epoch",
    "plan_record_epoch",
]


def partition(
    starts: npt.NDArray[np.int64], total_size: int, num_parts: int, part_index: int
) -> npt.NDArray[np.intp]:
    """Positions (into `starts`, global record offsets) of the records of one part."""
    if num_parts < 1 or not 0 <= part_index < num_parts:
        raise ValueError(
            f"part_index must be in [0, num_parts), got part_index={part_index}, "
            f"num_parts={num_parts}"
        )
    step = (total_size + num_parts - 1) // num_parts
    step = (step + 3) // 4 * 4
    begin = min(step * part_index, total_size)
    end = min(step * (part_index + 1), total_size)
    lo, hi = np.searchsorted(starts, [begin, end], side="left")
    return np.arange(lo, hi, dtype=np.intp)


def epoch_order(count: int, shuffle: bool, seed: int, epoch: int) -> npt.NDArray[np.intp]:
    """The order of positions 0..count-1 in `epoch`."""
    if not shuffle:
        return np.arange(count, dtype=np.intp)
    rng = np.random.Generator(np.random.Philox(key=[seed & (2**64 - 1), epoch]))
    return rng.permutation(count).astype(np.intp)


@dataclasses.dataclass(frozen=True, slots=True)
class Sample:
    """One row of a batch: which record (position in the part) and the draw that shapes it.

    ``position`` is None for an empty padding row. ``key`` seeds the row's random
    augmentation: ``(epoch, row number in the epoch's stream)``.
    """

    position: int | None
    key: tuple[int, int]


@dataclasses.dataclass(frozen=True, slots=True)
class EpochPlan:
    """The batches of one epoch, their pads, and where the next epoch starts."""

    batches: list[list[Sample]]
    pads: list[int]
    next_start: int


def plan_epoch(
    count: int,
    batch_size: int,
    epoch: int,
    start: int,
    *,
    shuffle: bool,
    seed: int,
    round_batch: bool,
) -> EpochPlan:
    """Batches of `epoch` reading its order from `start` (what earlier overflow consumed)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if count == 0:
        return EpochPlan([], [], 0)
    order = epoch_order(count, shuffle, seed, epoch).tolist()
    rows = [Sample(p, (epoch, i)) for i, p in enumerate(order[start:], start=start)]
    batches = [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]
    pads = [0] * len(batches)
    next_start = 0
    if batches and len(batches[-1]) < batch_size:
        missing = batch_size - len(batches[-1])
        pads[-1] = missing
        if round_batch:
            if missing > count:  # MXNet: "number of input images must be bigger than..."
                raise ValueError(
                    f"round_batch needs at least batch_size={batch_size} records, "
                    f"the data has {count}"
                )
            following = epoch_order(count, shuffle, seed, epoch + 1).tolist()
            batches[-1] += [Sample(p, (epoch + 1, i)) for i, p in enumerate(following[:missing])]
            next_start = missing
        else:
            batches[-1] += [Sample(None, (epoch, -1))] * missing
    return EpochPlan(batches, pads, next_start)


def plan_last_batch_epoch(
    count: int,
    batch_size: int,
    epoch: int,
    carry: list[Sample],
    *,
    mode: str,
    shuffle: bool,
    seed: int,
) -> tuple[EpochPlan, list[Sample]]:
    """An epoch of MXNet's Python iterators (ImageIter): ``last_batch_handle`` semantics.

    'pad' completes the last batch from the front of the same epoch's order;
    'discard' drops it; 'roll_over' holds it back (returned as the new carry)
    and puts it in front of the next epoch. Returns (plan, carry for the next).
    """
    if mode not in ("pad", "discard", "roll_over"):
        raise ValueError(f"last_batch_handle must be 'pad', 'discard' or 'roll_over', got {mode!r}")
    order = epoch_order(count, shuffle, seed, epoch).tolist()
    rows = list(carry) + [Sample(p, (epoch, i)) for i, p in enumerate(order)]
    batches = [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]
    pads = [0] * len(batches)
    new_carry: list[Sample] = []
    if batches and len(batches[-1]) < batch_size:
        if mode == "discard":
            batches.pop()
            pads.pop()
        elif mode == "roll_over":
            new_carry = batches.pop()
            pads.pop()
        else:
            missing = batch_size - len(batches[-1])
            extra = (
                [Sample(order[i % count], (epoch, count + i)) for i in range(missing)]
                if count
                else []
            )
            batches[-1] += extra
            pads[-1] = missing
    return EpochPlan(batches, pads, 0), new_carry


def plan_block_epoch(
    block: npt.NDArray[np.intp],
    batch_size: int,
    epoch: int,
    carry: list[Sample],
    *,
    mode: str,
    first_row: int,
    fresh: int,
    fill_row: int,
) -> tuple[EpochPlan, list[Sample]]:
    """An epoch of one even part: `carry`, then `block` (positions), cut into batches.

    Row ``i`` of the block is keyed ``(epoch, first_row + i)``. The last short
    batch is, by `mode`: 'pad', completed from the front of the block (wrapping
    as often as needed; keys ``(epoch, fill_row + j)``); 'empty', completed with
    empty rows (ImageRecordIter without round_batch); 'discard', dropped;
    'roll_over', returned as the carry for the next epoch. A batch's pad counts
    its trailing rows from position ``len(carry) + fresh`` of the stream on: the
    block's repeats (``block[fresh:]``, made to even out the parts) and the fill.
    Returns (plan, carry for the next epoch).
    """
    if mode not in ("pad", "empty", "discard", "roll_over"):
        raise ValueError(f"mode must be 'pad', 'empty', 'discard' or 'roll_over', got {mode!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    positions = block.tolist()
    rows = list(carry) + [Sample(p, (epoch, first_row + i)) for i, p in enumerate(positions)]
    batches = [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]
    new_carry: list[Sample] = []
    if batches and len(batches[-1]) < batch_size:
        missing = batch_size - len(batches[-1])
        if mode == "discard":
            batches.pop()
        elif mode == "roll_over":
            new_carry = batches.pop()
        elif mode == "empty":
            batches[-1] += [Sample(None, (epoch, -1))] * missing
        elif positions:
            batches[-1] += [
                Sample(positions[j % len(positions)], (epoch, fill_row + j)) for j in range(missing)
            ]
    repeats_from = len(carry) + fresh
    pads = [
        min(batch_size, max(0, (b + 1) * batch_size - max(b * batch_size, repeats_from)))
        for b in range(len(batches))
    ]
    return EpochPlan(batches, pads, 0), new_carry


def part_records(
    starts: npt.NDArray[np.int64], total_size: int, parts: Parts
) -> npt.NDArray[np.int64]:
    """The record offsets a part of a .rec dataset reads from (ImageRecordIter and kin).

    MXNet's byte split (:func:`partition`) for integer parts; every record for even
    parts, whose epochs each read a block of the whole order (:func:`plan_record_epoch`).
    """
    if parts.even:
        return starts
    return starts[partition(starts, total_size, parts.num_parts, parts.part_index)]


def plan_record_epoch(
    parts: Parts,
    count: int,
    batch_size: int,
    epoch: int,
    start: int,
    *,
    shuffle: bool,
    seed: int,
    round_batch: bool,
) -> EpochPlan:
    """An epoch of a .rec iterator over the `count` records of :func:`part_records`.

    Integer parts: :func:`plan_epoch`, MXNet's round_batch. Even parts: this rank's
    block of the epoch's whole order (:meth:`Parts.block`), its short last batch
    completed from the front of the block (round_batch) or with empty rows; rows are
    keyed by their place in the whole order, so ranks draw different augmentations.
    """
    if not parts.even:
        return plan_epoch(
            count,
            batch_size,
            epoch,
            start,
            shuffle=shuffle,
            seed=seed,
            round_batch=round_batch,
        )
    plan, _ = plan_block_epoch(
        parts.block(epoch_order(count, shuffle, seed, epoch)),
        batch_size,
        epoch,
        [],
        mode="pad" if round_batch else "empty",
        first_row=parts.first_row(count),
        fresh=parts.fresh(count),
        fill_row=parts.num_parts * parts.size(count) + parts.part_index * batch_size,
    )
    return plan

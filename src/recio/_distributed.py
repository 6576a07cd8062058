"""Distributed ranks: which part of the data this process reads, and how epochs stay in step.

``num_parts`` / ``part_index`` may be ``"auto"``: :func:`world` then takes them
from ``torch.distributed`` when a process group is initialised, else from the
``WORLD_SIZE`` / ``RANK`` environment variables that ``torchrun`` (and most
launchers) set, else ``(1, 0)``. torch is never imported here: a process group
can only be initialised if the user's program has already imported
``torch.distributed``, so it is looked up in ``sys.modules`` and a program that
never uses torch pays nothing.

Parts asked for with ``"auto"`` are *even* (:class:`Parts`): every epoch, the whole
dataset's order is computed from the seed all ranks share (the same permutation
on every rank, a new one each epoch when shuffling), wrapped around to a
multiple of ``num_parts`` and cut into ``num_parts`` contiguous blocks of
``ceil(count / num_parts)`` items; rank ``k`` reads block ``k``. So every rank
reads the same number of items, hence yields the same number of batches (no
rank is left waiting at an all-reduce), the blocks are disjoint within an epoch
and together cover the data, and at most ``num_parts - 1`` items are read twice
to make the counts equal: the last blocks end with the first items of the
order again. Those repeats sit at the end of a rank's epoch and are counted in
the batches' ``pad``, so the rows outside ``pad`` cover the dataset exactly once
across all ranks. MXNet's iterators split the data once, unevenly, and keep
their own split for explicit integer ``num_parts`` (see docs/notes/distributed.md).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["AUTO", "PartArg", "Parts", "require_shared_seed", "resolve_parts", "world"]

AUTO = "auto"
PartArg = int | Literal["auto"]  # the type of a num_parts / part_index parameter


def _env_int(name: str) -> int | None:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        what = "world size" if name == "WORLD_SIZE" else "rank"
        raise ValueError(
            f"num_parts='auto': the environment variable {name}={text!r} is not an integer; "
            f"unset it or set it to this process's {what}"
        ) from None


def world() -> tuple[int, int]:
    """``(world size, rank)`` of this process: what ``"auto"`` parts resolve to.

    From an initialised ``torch.distributed`` process group if there is one, else
    from ``WORLD_SIZE`` / ``RANK`` (both or neither), else ``(1, 0)``.
    """
    dist: Any = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return int(dist.get_world_size()), int(dist.get_rank())
    size, rank = _env_int("WORLD_SIZE"), _env_int("RANK")
    if size is None and rank is None:
        return 1, 0
    if size is None or rank is None:
        missing, given = ("WORLD_SIZE", "RANK") if size is None else ("RANK", "WORLD_SIZE")
        raise ValueError(
            f"num_parts='auto': {given} is set but {missing} is not; a launcher such as "
            "torchrun sets both; set both, or neither for a single process"
        )
    if size < 1 or not 0 <= rank < size:
        raise ValueError(
            f"num_parts='auto': RANK must be in [0, WORLD_SIZE), got RANK={rank}, "
            f"WORLD_SIZE={size}; check the launcher's environment"
        )
    return size, rank


@dataclasses.dataclass(frozen=True, slots=True)
class Parts:
    """This process's part: ``part_index`` of ``num_parts``, and whether parts are even.

    Even parts are blocks of each epoch's whole-dataset order (module docstring);
    otherwise the iterator splits the data its own (MXNet's) way, once.
    """

    num_parts: int
    part_index: int
    even: bool

    def size(self, count: int) -> int:
        """Items each even part reads per epoch: ``ceil(count / num_parts)``."""
        return -(-count // self.num_parts)

    def first_row(self, count: int) -> int:
        """Where this part's block starts in the wrapped whole-dataset order of an epoch.

        Rows of the epoch are numbered by that position, so random draws keyed by
        row differ between ranks and do not depend on how many ranks there are.
        """
        return self.part_index * self.size(count)

    def fresh(self, count: int) -> int:
        """How many of this part's items are not repeats made to even out the counts."""
        return max(0, min(self.size(count), count - self.first_row(count)))

    def block(self, order: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """This part's items of an epoch whose whole-dataset order is `order`.

        `order` is wrapped around (``np.resize`` repeats it) to ``num_parts``
        blocks of :meth:`size` items; the block of ``part_index`` is returned.
        """
        size = self.size(len(order))
        if size == 0:
            return order[:0].astype(np.intp)
        wrapped = np.resize(order, size * self.num_parts).astype(np.intp, copy=False)
        start = self.part_index * size
        return wrapped[start : start + size]


def _one(value: Any, name: str, where: str) -> int | None:
    """`value` as an int, or None for ``"auto"``."""
    if isinstance(value, str) and value.strip() == AUTO:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer | str):
        raise ValueError(f"{where}: {name} must be an integer or 'auto', got {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{where}: {name} must be an integer or 'auto', got {value!r}") from None


def resolve_parts(num_parts: Any, part_index: Any, *, where: str, even: bool = False) -> Parts:
    """The :class:`Parts` for an iterator's ``num_parts`` / ``part_index`` parameters.

    Each may be an integer or ``"auto"`` (:func:`world`'s size and rank). Parts
    are even when either is ``"auto"``, or when `even` says the iterator has no
    split of its own (NDArrayIter) and ``num_parts > 1``. Raises ValueError naming
    both values when ``part_index`` is not in ``[0, num_parts)``.
    """
    parts, index = _one(num_parts, "num_parts", where), _one(part_index, "part_index", where)
    auto = parts is None or index is None
    if parts is None or index is None:
        size, rank = world()
        parts = size if parts is None else parts
        index = rank if index is None else index
    if parts < 1 or not 0 <= index < parts:
        raise ValueError(
            f"{where}: part_index must be in [0, num_parts), got part_index={index}, "
            f"num_parts={parts} (from num_parts={num_parts!r}, part_index={part_index!r}); "
            "with 'auto' give both as 'auto', or launch with a matching world size"
        )
    return Parts(parts, index, auto or (even and parts > 1))


def require_shared_seed(where: str, parts: Parts, shuffle: bool, seed: int | None) -> None:
    """Refuse to shuffle even parts without a seed: each rank would draw its own.

    Every rank must cut its block from the same permutation, which needs a seed
    all ranks share; a seed drawn per process would make the blocks overlap.
    """
    if parts.even and shuffle and seed is None:
        raise ValueError(
            f"{where}: shuffle with num_parts={parts.num_parts} (part_index="
            f"{parts.part_index}) needs a seed that every rank shares, so that all ranks "
            "cut their parts from the same permutation; pass seed=<int>, the same on every rank"
        )

"""Permutations exactly as MXNet's C++ code draws them, so seeded shuffles match MXNet.

MXNet's C++ iterators shuffle with libstdc++'s ``std::shuffle`` over
``std::mt19937(seed)``. numpy's MT19937 is the same engine; this module seeds it
as ``std::mt19937`` does and reproduces ``std::shuffle``'s draws, vectorised.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["shuffled_order"]

_MT_MASK = 0xFFFFFFFF


def _mt19937_raw(seed: int) -> np.random.MT19937:
    """A numpy MT19937 in the state ``std::mt19937(seed)`` starts in (seed taken mod 2**32)."""
    key = np.empty(624, dtype=np.uint32)
    value = seed & _MT_MASK
    for i in range(624):  # std::mt19937's seeding (Knuth's init_genrand)
        key[i] = value
        value = (1812433253 * (value ^ (value >> 30)) + i + 1) & _MT_MASK
    generator = np.random.MT19937()
    generator.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 624}}
    return generator


def shuffled_order(count: int, seed: int) -> npt.NDArray[np.intp]:
    """MXNet's C++ permutation of ``range(count)`` for `seed` (MNISTIter's shuffle).

    libstdc++'s ``std::shuffle`` with a 32-bit engine: for i = 1 .. count-1,
    swap item i with item j drawn uniformly from [0, i] by
    ``uniform_int_distribution``, which takes raw draws r, rejects those at or
    above ``(i + 1) * scale`` where ``scale = (2**32 - 1) // (i + 1)``, and
    returns ``r // scale``. The draws are vectorised; only the swaps loop.
    """
    order = list(range(count))
    if count < 2:
        return np.asarray(order, dtype=np.intp)
    span = np.arange(2, count + 1, dtype=np.uint64)  # i + 1 for i = 1 .. count-1
    scale = np.uint64(_MT_MASK) // span
    limit = span * scale
    generator = _mt19937_raw(seed)
    picks = np.empty(count - 1, dtype=np.uint64)
    done = 0
    raw = generator.random_raw(count - 1)
    while done < count - 1:
        window = raw[: count - 1 - done]
        rejected = np.flatnonzero(window >= limit[done : done + len(window)])
        good = int(rejected[0]) if len(rejected) else len(window)
        picks[done : done + good] = window[:good] // scale[done : done + good]
        done += good
        raw = raw[good + 1 :] if len(rejected) else raw[good:]  # drop the rejected draw
        if len(raw) < count - 1 - done:
            raw = np.concatenate([raw, generator.random_raw(count - 1 - done - len(raw))])
    for i, j in enumerate(picks.tolist(), start=1):
        order[i], order[j] = order[j], order[i]
    return np.asarray(order, dtype=np.intp)

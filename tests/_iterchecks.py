"""Checks every recio iterator goes through (STYLE 6): repeatable epochs, exact resume.

``assert_resumes_exactly(make)`` runs `make()`'s iterator for a few epochs
(``reset()`` between them) and, for every step of that stream, builds a fresh
iterator, loads the state saved at that step, and checks it yields exactly the
rest of the stream. ``batch_arrays`` turns a batch into comparable numpy data.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np


def batch_arrays(batch: Any) -> tuple[Any, ...]:
    """(data arrays, label arrays, pad, index) of a batch, as plain numpy values."""
    data = [np.array(d) for d in batch.data]
    label = [np.array(lab) for lab in batch.label or []]
    index = None if batch.index is None else np.array(batch.index)
    return data, label, batch.pad, index


def assert_batches_equal(got: list[Any], expected: list[Any], what: str = "") -> None:
    assert len(got) == len(expected), f"{what}: {len(got)} batches, expected {len(expected)}"
    for n, (g, e) in enumerate(zip(got, expected, strict=True)):
        for part, gp, ep in zip(("data", "label"), g[:2], e[:2], strict=True):
            assert len(gp) == len(ep), f"{what}: batch {n} {part} count"
            for a, b in zip(gp, ep, strict=True):
                np.testing.assert_array_equal(a, b, err_msg=f"{what}: batch {n} {part}")
        assert g[2] == e[2], f"{what}: batch {n} pad {g[2]} != {e[2]}"
        if e[3] is not None:
            np.testing.assert_array_equal(g[3], e[3], err_msg=f"{what}: batch {n} index")


def stream(it: Any, epochs: int) -> list[list[Any]]:
    """Batches of `epochs` epochs with reset() between them, per epoch."""
    out = []
    for epoch in range(epochs):
        if epoch:
            it.reset()
        out.append([batch_arrays(b) for b in it])
    return out


def assert_resumes_exactly(make: Callable[[], Any], epochs: int = 3) -> None:
    """Saving state at any step and loading it into a fresh iterator continues the stream."""
    expected = stream(make(), epochs)
    assert_batches_equal(
        [b for e in stream(make(), epochs) for b in e], [b for e in expected for b in e], "rerun"
    )
    for epoch in range(epochs):
        for step in range(len(expected[epoch]) + 1):
            it = make()
            for e in range(epoch + 1):
                if e:
                    it.reset()
                for _ in range(step if e == epoch else len(expected[e])):
                    next(it)
            state = pickle.loads(pickle.dumps(it.state_dict()))  # plain, picklable data
            fresh = make()
            fresh.load_state_dict(state)
            rest = [batch_arrays(b) for b in fresh]
            for _ in range(epoch + 1, epochs):
                fresh.reset()
                rest.extend(batch_arrays(b) for b in fresh)
            want = expected[epoch][step:] + [b for e in expected[epoch + 1 :] for b in e]
            assert_batches_equal(rest, want, f"resumed at epoch {epoch} step {step}")

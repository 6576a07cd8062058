"""Hypothesis strategies for RecordIO payloads, keys, headers and images.

Payloads are built from chunks so that the magic word 0xced7230a (bytes
``0a 23 d7 ce``) turns up often, at every alignment, adjacent to itself, at
the start and at the end: the cases where the dmlc writer splits a record into
parts.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAGIC = bytes.fromhex("0a23d7ce")

chunks = st.one_of(
    st.binary(max_size=9),
    st.just(MAGIC),
    st.sampled_from([MAGIC[:1], MAGIC[:2], MAGIC[:3], MAGIC[1:], b"\0", b"\0\0\0\0"]),
)
payloads = st.one_of(
    st.binary(max_size=40),
    st.lists(chunks, max_size=8).map(b"".join),
)
record_lists = st.lists(payloads, max_size=12)

uint64 = st.integers(min_value=0, max_value=2**64 - 1)
float32s = st.floats(width=32, allow_nan=False)
labels_scalar = st.one_of(
    float32s,
    st.floats(allow_nan=False),  # float64: packing rounds, or overflows the float32 range
    st.integers(min_value=-(2**24), max_value=2**24),
    st.just(float("nan")),
)
labels_multi = st.lists(st.floats(width=32, allow_nan=False), min_size=1, max_size=6)
headers = st.tuples(
    st.integers(min_value=0, max_value=7),  # flag as the caller gives it: pack overrides it
    st.one_of(labels_scalar, labels_multi),
    uint64,
    uint64,
)


def int_keys(size: int) -> st.SearchStrategy[list[int]]:
    """`size` distinct int keys, in any order (an .idx is not required to be sorted)."""
    return st.lists(
        st.integers(min_value=-(2**40), max_value=2**63), min_size=size, max_size=size, unique=True
    )


str_key = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:", min_size=1
)


@st.composite
def images(draw: st.DrawFn, channels: int | None = None) -> np.ndarray:
    """A small uint8 image: (h, w, 3) BGR or (h, w) grayscale, smooth or noisy."""
    if channels is None:
        channels = draw(st.sampled_from([1, 3]))
    shape = (draw(st.integers(1, 24)), draw(st.integers(1, 24)))
    if channels == 3:
        shape = (*shape, 3)
    if draw(st.booleans()):
        return draw(hnp.arrays(np.uint8, shape))
    base = draw(st.integers(0, 255))
    step = draw(st.integers(0, 9))
    ramp = (base + step * np.add.outer(np.arange(shape[0]), np.arange(shape[1]))) % 256
    img = ramp.astype(np.uint8)
    return np.repeat(img[:, :, None], 3, axis=2) if channels == 3 else img

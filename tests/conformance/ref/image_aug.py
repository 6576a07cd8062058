"""MXNet 1.9.1's ``mx.image`` augmenters, driven for the augmenter conformance tests.

Runs in the reference server (numpy 1.23). Augmenters are described by specs,
``(class name, args, kwargs)`` with nested specs for the ``ts`` of
SequentialAug / RandomOrderAug, so both sides build the same objects. Images
travel as numpy HWC arrays; MXNet gets them as NDArrays of the same dtype.
"""

from __future__ import annotations

import random
from typing import Any

import mxnet as mx
import numpy as np


def build(spec: Any) -> Any:
    """The augmenter a spec describes (specs nest for the composite augmenters)."""
    name, args, kwargs = spec
    cls = getattr(mx.image, name)
    if name in ("SequentialAug", "RandomOrderAug"):
        return cls([build(s) for s in args[0]])
    return cls(*args, **kwargs)


def _plain(value: Any) -> Any:
    if isinstance(value, mx.nd.NDArray):
        return value.asnumpy()
    return value


def dumps(spec: Any) -> Any:
    """``dumps()`` of the augmenter a spec builds."""
    return build(spec).dumps()


def create(kwargs: dict[str, Any]) -> list[tuple[str, Any]]:
    """``CreateAugmenter(**kwargs)`` as ``[(class name, dumps()), ...]``."""
    return [(type(a).__name__, a.dumps()) for a in mx.image.CreateAugmenter(**kwargs)]


def run(
    specs: list[Any] | None,
    create_kwargs: dict[str, Any] | None,
    images: list[np.ndarray],
    seed: int,
    calls: int = 1,
) -> dict[str, Any]:
    """Seed ``random`` and ``np.random`` with `seed`, build the augmenter list (from specs or
    CreateAugmenter) and run it over every image, `calls` times in a row.

    Returns the outputs in order and the input images afterwards (to see what
    MXNet changed in place), or the error MXNet raised.
    """
    random.seed(seed)
    np.random.seed(seed)
    augs = mx.image.CreateAugmenter(**create_kwargs) if create_kwargs else [build(s) for s in specs]
    outputs, inputs_after = [], []
    try:
        for _ in range(calls):
            for img in images:
                src = mx.nd.array(img, dtype=img.dtype)
                x = src
                for aug in augs:
                    x = aug(x)
                outputs.append(_plain(x))
                inputs_after.append(src.asnumpy())
    except Exception as exc:  # reported, compared by the test
        return {"error": type(exc).__name__, "message": str(exc)[:300]}
    return {"outputs": outputs, "inputs_after": inputs_after}


def crop_boxes(kind: str, shape: tuple[int, int], args: list[Any], n: int, seed: int) -> np.ndarray:
    """`n` crop rectangles (x0, y0, w, h) MXNet's random_crop / random_size_crop draw."""
    random.seed(seed)
    np.random.seed(seed)
    src = mx.nd.zeros((*shape, 3), dtype="uint8")
    fn = mx.image.random_size_crop if kind == "sized" else mx.image.random_crop
    return np.array([fn(src, *args)[1] for _ in range(n)], dtype=np.int64)


def jitter_alphas(name: str, value: float, n: int, seed: int) -> np.ndarray:
    """The factors MXNet's jitter augmenter draws, recovered from its output on a 1x1 image.

    Brightness on a pixel of 1s gives alpha; hue's alpha is read from the
    random.uniform draw by wrapping it.
    """
    random.seed(seed)
    drawn: list[float] = []
    original = random.uniform

    def spy(a: float, b: float) -> float:
        v = original(a, b)
        drawn.append(v)
        return v

    random.uniform = spy  # type: ignore[assignment]
    try:
        aug = getattr(mx.image, name)(value)
        for _ in range(n):
            aug(mx.nd.ones((2, 2, 3)))
    finally:
        random.uniform = original  # type: ignore[assignment]
    return np.array(drawn)

"""The batch-row write (recio._image.normalize): OpenCV's path equals the direct formula."""

from __future__ import annotations

import numpy as np
import pytest

from recio._image.normalize import Normalizer

MEAN = np.array([123.68, 116.28, 103.53, 7.0], np.float32)
STD = np.array([58.395, 57.12, 57.375, 3.0], np.float32)


def views(channels: int, seed: int) -> list[np.ndarray]:
    """A crop view, a contiguous image, a mirrored view and (gray) an H x W x 1 image."""
    rng = np.random.default_rng(seed)
    shape = (40, 50) if channels == 1 else (40, 50, channels)
    big = rng.integers(0, 256, shape, np.uint8)
    out = [big[3:33, 5:37], np.ascontiguousarray(big[3:33, 5:37]), big[3:33, 36:4:-1]]
    if channels == 1:
        out.append(big[3:33, 5:37, None])
    return out


@pytest.mark.parametrize("from_bgr", [True, False])
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.float16, np.int8])
def test_write_equals_the_reference_bit_for_bit(from_bgr: bool, channels: int, dtype: type) -> None:
    norm = Normalizer(MEAN, STD, 0.7, from_bgr=from_bgr)
    for img in views(channels, seed=channels):
        for mirror in (False, True):
            for contrast, illumination in ((1.0, 0.0), (1.3, 0.0), (0.8, 12.5)):
                got = np.zeros((channels, 30, 32), dtype)
                want = np.zeros((channels, 30, 32), dtype)
                kwargs = dict(mirror=mirror, contrast=contrast, illumination=illumination)
                norm.write(img, got, **kwargs)
                norm.write_reference(img, want, **kwargs)
                np.testing.assert_array_equal(got, want)


def test_rgb_order_mirror_and_formula() -> None:
    img = np.zeros((2, 3, 3), np.uint8)
    img[0, 0] = (10, 20, 30)  # B, G, R at the top-left pixel
    out = np.zeros((3, 2, 3), np.float32)
    Normalizer(MEAN, STD, 1.0).write(img, out, mirror=True)
    want = (np.array([30, 20, 10], np.float32) - MEAN[:3]) / STD[:3]
    np.testing.assert_allclose(out[:, 0, 2], want, rtol=1e-6)  # mirrored to the right


def test_writes_of_many_threads_do_not_mix() -> None:
    from concurrent.futures import ThreadPoolExecutor

    norm = Normalizer(MEAN, STD, 1.0)
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (24, 20, 3), np.uint8) for _ in range(64)]
    want = np.zeros((64, 3, 24, 20), np.float32)
    for img, row in zip(images, want, strict=True):
        norm.write_reference(img, row, mirror=True)
    got = np.zeros_like(want)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: norm.write(images[i], got[i], mirror=True), range(64)))
    np.testing.assert_array_equal(got, want)


def test_shape_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="does not fit a batch row"):
        Normalizer(MEAN, STD, 1.0).write(
            np.zeros((4, 4, 3), np.uint8), np.zeros((3, 4, 5)), mirror=False
        )

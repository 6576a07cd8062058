"""recio.image's functional ops without MXNet: shapes, dtypes, draws, validation, properties.

Their agreement with MXNet 1.9.1's pixels is checked in
tests/conformance/test_image_ops_conformance.py.
"""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recio import image as mimg
from recio import nd

DATA = Path(__file__).resolve().parent / "data" / "images"


@pytest.fixture(scope="module")
def img() -> np.ndarray:
    """A 131 x 97 RGB photo."""
    return (
        mimg.imdecode((DATA / "odd.jpg").read_bytes())
        .asnumpy()
        .repeat(4, 0)
        .repeat(4, 1)[:131, :97]
        .copy()
    )


def test_public_names_come_from_ops() -> None:
    for name in (
        "imread",
        "imdecode",
        "imresize",
        "resize_short",
        "fixed_crop",
        "random_crop",
        "center_crop",
        "random_size_crop",
        "color_normalize",
        "scale_down",
        "copyMakeBorder",
        "ImageDecodeError",
    ):
        assert getattr(mimg, name).__module__ in ("recio._image.ops", "recio._image.decode")
    assert issubclass(mimg.ImageDecodeError, ValueError)


# -- decoding --------------------------------------------------------------------------------


def test_imdecode_returns_ndarray() -> None:
    buf = (DATA / "color.jpg").read_bytes()
    out = mimg.imdecode(buf)
    assert isinstance(out, nd.NDArray)
    assert out.shape == (40, 48, 3) and out.dtype == np.uint8
    assert mimg.imdecode(buf, 0).shape == (40, 48, 1)
    assert mimg.imdecode(buf, 1, False).shape == (40, 48, 3)


def test_imdecode_out() -> None:
    buf = (DATA / "color.jpg").read_bytes()
    out = nd.zeros((40, 48, 3), dtype=np.uint8)
    got = mimg.imdecode(buf, out=out)
    assert got is out
    assert np.array_equal(out, mimg.imdecode(buf))
    with pytest.raises(ValueError, match="shape"):
        mimg.imdecode(buf, out=np.zeros((4, 4, 3), np.uint8))


def test_imdecode_rejects_float_ndarray() -> None:
    buf = np.frombuffer((DATA / "color.jpg").read_bytes(), np.uint8)
    with pytest.raises(ValueError, match="uint8"):
        mimg.imdecode(nd.array(buf))  # float32, as mx.nd.array makes by default


def test_imread(tmp_path: Path) -> None:
    path = DATA / "gray.png"
    assert np.array_equal(mimg.imread(path), mimg.imdecode(path.read_bytes()))
    assert mimg.imread(str(path), flag=0).shape == (40, 48, 1)
    with pytest.raises(FileNotFoundError):
        mimg.imread(tmp_path / "missing.jpg")
    with pytest.raises(mimg.ImageDecodeError, match=r"not_image\.txt"):
        mimg.imread(DATA / "not_image.txt")


# -- resizing --------------------------------------------------------------------------------


@pytest.mark.parametrize("interp", [0, 1, 2, 3, 4, 5, 9, 10])
def test_imresize_shapes_and_dtypes(img: np.ndarray, interp: int) -> None:
    for src in (img, img.astype(np.float32), img[:, :, :1].copy(), img[:, :, 0].copy()):
        out = mimg.imresize(src, 50, 60, interp=interp)
        assert isinstance(out, nd.NDArray)
        assert out.shape == (60, 50, *src.shape[2:])
        assert out.dtype == src.dtype


def test_imresize_auto_interp(img: np.ndarray) -> None:
    def cv(w: int, h: int, i: int) -> np.ndarray:
        return cv2.resize(img, (w, h), interpolation=i)

    assert np.array_equal(mimg.imresize(img, 50, 60, interp=9), cv(50, 60, 3))  # shrink: area
    assert np.array_equal(mimg.imresize(img, 150, 160, interp=9), cv(150, 160, 2))  # grow: cubic
    assert np.array_equal(mimg.imresize(img, 150, 60, interp=9), cv(150, 60, 1))  # mixed: linear


def test_imresize_random_interp_draws_from_rng(img: np.ndarray) -> None:
    seen = set()
    rng = np.random.default_rng(0)
    outs = {i: cv2.resize(img, (30, 40), interpolation=i) for i in range(5)}
    for _ in range(40):
        out = mimg.imresize(img, 30, 40, interp=10, rng=rng)
        seen.update(i for i, ref in outs.items() if np.array_equal(out, ref))
    assert len(seen) == 5  # the five methods give five different pictures here


def test_imresize_validation(img: np.ndarray) -> None:
    with pytest.raises(ValueError, match="interp"):
        mimg.imresize(img, 10, 10, interp=7)
    with pytest.raises(ValueError, match="w must be"):
        mimg.imresize(img, 0, 10)
    with pytest.raises(TypeError):
        mimg.imresize(img, 10.5, 10)
    with pytest.raises(ValueError, match="H x W"):
        mimg.imresize(np.zeros((2, 3, 4, 5), np.uint8), 3, 3)
    with pytest.raises(TypeError, match="Generator"):
        mimg.imresize(img, 10, 10, interp=10, rng=random.Random(0))  # type: ignore[arg-type]


def test_imresize_out(img: np.ndarray) -> None:
    out = np.empty((20, 10, 3), np.uint8)
    got = mimg.imresize(img, 10, 20, out=out)
    assert np.shares_memory(got, out)
    assert np.array_equal(out, mimg.imresize(img, 10, 20))


@pytest.mark.parametrize(
    ("shape", "size", "expected"),
    [((131, 97), 50, (67, 50)), ((97, 131), 50, (50, 67)), ((80, 80), 33, (33, 33))],
)
def test_resize_short(shape: tuple[int, int], size: int, expected: tuple[int, int]) -> None:
    src = np.zeros((*shape, 3), np.uint8)
    out = mimg.resize_short(src, size)
    assert out.shape == (*expected, 3)
    assert isinstance(out, nd.NDArray)


def test_resize_short_rejects_interp_5(img: np.ndarray) -> None:
    """The Python-level functions take MXNet's 0-4, 9 and 10 only, as MXNet's do."""
    with pytest.raises(ValueError, match="interp"):
        mimg.resize_short(img, 50, interp=5)


# -- cropping --------------------------------------------------------------------------------


def test_fixed_crop(img: np.ndarray) -> None:
    out = mimg.fixed_crop(img, 10, 20, 30, 40)
    assert isinstance(out, nd.NDArray)
    assert np.array_equal(out, img[20:60, 10:40])
    assert out.flags.c_contiguous and not np.shares_memory(out, img)
    resized = mimg.fixed_crop(img, 10, 20, 30, 40, size=(15, 10))
    assert resized.shape == (10, 15, 3)
    ref = cv2.resize(np.ascontiguousarray(img[20:60, 10:40]), (15, 10), interpolation=2)
    assert np.array_equal(resized, ref)
    assert np.array_equal(mimg.fixed_crop(img, 10, 20, 30, 40, size=[30, 40]), out)


def test_center_crop(img: np.ndarray) -> None:
    out, box = mimg.center_crop(img, (50, 60))
    assert box == (23, 35, 50, 60)
    assert np.array_equal(out, img[35:95, 23:73])
    big, box = mimg.center_crop(img, (200, 100))  # scaled down to fit, then upsampled
    assert box == (0, 41, 97, 48)
    assert big.shape == (100, 200, 3)


def test_random_crop_draws_like_python_random(img: np.ndarray) -> None:
    """rng=None draws x0 then y0 with random.randint, as MXNet does."""
    random.seed(7)
    x0, y0 = random.randint(0, 97 - 40), random.randint(0, 131 - 30)
    random.seed(7)
    out, box = mimg.random_crop(img, (40, 30))
    assert box == (x0, y0, 40, 30)
    assert np.array_equal(out, img[y0 : y0 + 30, x0 : x0 + 40])


def test_random_crop_with_generator(img: np.ndarray) -> None:
    a = [mimg.random_crop(img, (40, 30), rng=np.random.default_rng(3))[1] for _ in range(2)]
    assert a[0] == a[1]
    rng = np.random.default_rng(4)
    boxes = np.array([mimg.random_crop(img, (40, 30), rng=rng)[1] for _ in range(2000)])
    assert boxes[:, 0].min() == 0 and boxes[:, 0].max() == 97 - 40
    assert boxes[:, 1].min() == 0 and boxes[:, 1].max() == 131 - 30
    assert (boxes[:, 2:] == (40, 30)).all()


def test_random_size_crop(img: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    fallback = mimg.center_crop(img, (32, 32))[1]
    fallbacks = 0
    for _ in range(200):
        out, box = mimg.random_size_crop(img, (32, 32), (0.3, 1.0), (0.5, 2.0), rng=rng)
        x0, y0, w, h = box
        assert out.shape == (32, 32, 3)
        assert x0 >= 0 and x0 + w <= 97 and y0 >= 0 and y0 + h <= 131
        if box == fallback:  # all 10 tries too wide or too tall for this narrow image
            fallbacks += 1
            continue
        assert 0.3 * 97 * 131 * 0.9 <= w * h <= 97 * 131
        assert 0.5 * 0.8 <= w / h <= 2.0 * 1.25
    assert fallbacks < 20


def test_random_size_crop_falls_back_to_center_crop(img: np.ndarray) -> None:
    """A ratio no crop can meet: after 10 tries, the centre crop."""
    out, box = mimg.random_size_crop(img, (20, 20), 1.0, (5.0, 6.0), rng=np.random.default_rng(0))
    assert (out.shape, box) == ((20, 20, 3), mimg.center_crop(img, (20, 20))[1])


def test_random_size_crop_keywords(img: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    with pytest.warns(DeprecationWarning, match="min_area"):
        mimg.random_size_crop(img, (8, 8), None, (0.75, 1.33), min_area=0.5, rng=rng)
    with pytest.raises(TypeError, match="unexpected"):
        mimg.random_size_crop(img, (8, 8), 0.5, (0.75, 1.33), colour=1)


def test_random_size_crop_same_draws_as_python_random(img: np.ndarray) -> None:
    """The MXNet formula, replayed by hand from the same random.seed."""
    import math

    random.seed(11)
    area = random.uniform(0.08, 1.0) * 97 * 131
    ratio = math.exp(random.uniform(math.log(0.75), math.log(4 / 3)))
    w, h = round(math.sqrt(area * ratio)), round(math.sqrt(area / ratio))
    assert w <= 97 and h <= 131  # this seed's first try fits
    x0, y0 = random.randint(0, 97 - w), random.randint(0, 131 - h)
    random.seed(11)
    _, box = mimg.random_size_crop(img, (16, 16), (0.08, 1.0), (0.75, 4 / 3))
    assert box == (x0, y0, w, h)


@given(
    src=st.tuples(st.integers(1, 2000), st.integers(1, 2000)),
    size=st.tuples(st.integers(1, 3000), st.integers(1, 3000)),
)
def test_scale_down_fits(src: tuple[int, int], size: tuple[int, int]) -> None:
    w, h = mimg.scale_down(src, size)
    assert isinstance(w, int) and isinstance(h, int)
    assert w <= src[0] and h <= src[1]
    assert w <= size[0] and h <= size[1]
    if size[0] <= src[0] and size[1] <= src[1]:
        assert (w, h) == size


def test_scale_down_docstring_example() -> None:
    assert mimg.scale_down((640, 480), (720, 120)) == (640, 106)


# -- colour and borders ------------------------------------------------------------------------


def test_color_normalize_in_place(img: np.ndarray) -> None:
    src = nd.array(img)  # float32 NDArray
    mean, std = nd.array([123.0, 117.0, 104.0]), nd.array([58.0, 57.0, 57.5])
    expected = (img.astype(np.float32) - mean) / std
    out = mimg.color_normalize(src, mean, std)
    assert out is src
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    plain = img.astype(np.float32)
    out = mimg.color_normalize(plain, 10.0)
    assert isinstance(out, nd.NDArray) and np.shares_memory(out, plain)
    np.testing.assert_array_equal(out, img.astype(np.float32) - 10)
    assert mimg.color_normalize(img.astype(np.float32), None, None).dtype == np.float32


def test_color_normalize_integer_image_raises(img: np.ndarray) -> None:
    with pytest.raises(TypeError, match="cast the image to float32"):
        mimg.color_normalize(img.copy(), np.array([1.5, 2.5, 3.5], np.float32))


def test_copy_make_border(img: np.ndarray) -> None:
    out = mimg.copyMakeBorder(img, 1, 2, 3, 4)
    assert isinstance(out, nd.NDArray)
    assert out.shape == (131 + 3, 97 + 7, 3)
    assert (out[0] == 0).all() and np.array_equal(out[1:-2, 3:-4], img)
    assert out.dtype == np.uint8
    assert mimg.copyMakeBorder(img, 1, 1, 1, 1, value=7)[0, 0].tolist() == [7, 7, 7]
    assert mimg.copyMakeBorder(img, 1, 1, 1, 1, values=(1, 2))[0, 0].tolist() == [1, 2, 0]
    rgba = np.zeros((2, 2, 4), np.uint8)
    assert mimg.copyMakeBorder(rgba, 1, 1, 1, 1, value=9)[0, 0].tolist() == [9, 9, 9, 0]
    gray = img[:, :, :1].copy()
    assert mimg.copyMakeBorder(gray, 1, 1, 1, 1, type=3).shape == (133, 99, 1)
    reflect = mimg.copyMakeBorder(img, 2, 0, 0, 0, type=1)
    assert np.array_equal(reflect[:2], img[1::-1])


def test_copy_make_border_validation(img: np.ndarray) -> None:
    with pytest.raises(ValueError, match="border type"):
        mimg.copyMakeBorder(img, 1, 1, 1, 1, type=5)
    with pytest.raises(ValueError, match="OpenCV"):
        mimg.copyMakeBorder(img, -1, 1, 1, 1)
    with pytest.raises(ValueError, match="at most 4"):
        mimg.copyMakeBorder(img, 1, 1, 1, 1, values=(1, 2, 3, 4, 5))


def test_no_warnings_from_ops(img: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mimg.random_size_crop(img, (8, 8), 0.5, (0.75, 1.33), rng=np.random.default_rng(1))
        mimg.resize_short(img, 20)

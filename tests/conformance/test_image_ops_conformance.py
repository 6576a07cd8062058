"""recio.image's functions against MXNet 1.9.1's mx.image on the same real photos.

Photos are scikit-image's samples encoded at several sizes (odd ones, a
grayscale JPEG, 4:4:4 and progressive JPEGs, a PNG). What must hold:

- decoding: identical pixels, shapes and dtypes (recio's OpenCV 5.0 and
  MXNet's bundled OpenCV 3.4.2 decode these files bit-identically);
- crops, borders, scale_down: identical;
- resizes and colour_normalize: mean absolute difference at most 1 level (the
  two OpenCV versions round bicubic uint8 results differently in ~3% of pixels);
- random functions: after the same ``random.seed`` the same boxes and output as
  MXNet (rng=None draws from Python's random as MXNet does); with a numpy
  Generator, the same distribution.

Deliberate differences (docs/notes/image_ops.md) are pinned here on both sides.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from recio import image as mimg
from recio._image.decode import ImageDecodeError

from _reference import MXNetReference, ReferenceCallError

pytestmark = pytest.mark.conformance

DATA = Path(__file__).resolve().parent.parent / "data" / "images"


def _encode(bgr: np.ndarray, ext: str = ".jpg", *params: int) -> bytes:
    ok, enc = cv2.imencode(ext, bgr, list(params))
    assert ok
    return enc.tobytes()


def _bgr(rgb: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """`rgb` as BGR, resized to `size` (w, h) with area averaging when given."""
    if size is not None:
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb[:, :, ::-1])


@pytest.fixture(scope="module")
def photos() -> dict[str, bytes]:
    """Encoded photos by name: several sizes, odd sizes, grayscale, 4:4:4, progressive, PNG."""
    from skimage import data

    q = cv2.IMWRITE_JPEG_QUALITY
    return {
        "astronaut_512.jpg": _encode(_bgr(data.astronaut()), ".jpg", q, 90),
        "chelsea_451x300.jpg": _encode(_bgr(data.chelsea()), ".jpg", q, 95),
        "coffee_333x257.jpg": _encode(_bgr(data.coffee(), (333, 257)), ".jpg", q, 85),
        "rocket_97x131.jpg": _encode(_bgr(data.rocket(), (97, 131)), ".jpg", q, 75),
        "camera_gray.jpg": _encode(data.camera(), ".jpg", q, 90),
        "astronaut_444.jpg": _encode(
            _bgr(data.astronaut(), (301, 203)),
            ".jpg",
            q,
            92,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444,
        ),
        "chelsea_progressive.jpg": _encode(
            _bgr(data.chelsea()), ".jpg", q, 80, cv2.IMWRITE_JPEG_PROGRESSIVE, 1
        ),
        "coffee_199x150.png": _encode(_bgr(data.coffee(), (199, 150)), ".png"),
    }


@pytest.fixture(scope="module")
def images(photos: dict[str, bytes]) -> dict[str, np.ndarray]:
    """Each photo decoded by recio (RGB uint8)."""
    return {name: mimg.imdecode(buf).asnumpy() for name, buf in photos.items()}


def mad(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference, after checking the shapes agree."""
    assert a.shape == b.shape
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


def assert_same(ours: Any, theirs: np.ndarray, what: str = "") -> None:
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape, what
    assert ours.dtype == theirs.dtype, what
    assert np.array_equal(ours, theirs), what


def assert_close(ours: Any, theirs: np.ndarray, level: float = 1.0) -> None:
    """Same shape and dtype; mean absolute difference <= `level`, max difference <= 2 levels."""
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    assert mad(ours, theirs) <= level
    assert np.abs(ours.astype(np.float64) - theirs).max() <= 2 * level


# -- decoding -----------------------------------------------------------------------------


@pytest.mark.parametrize(("flag", "to_rgb"), [(1, True), (1, False), (0, True)])
def test_imdecode_photos_identical(
    mxnet_ref: MXNetReference, photos: dict[str, bytes], flag: int, to_rgb: bool
) -> None:
    for name, buf in photos.items():
        theirs = mxnet_ref.call("image_ops.imdecode", buf, flag=flag, to_rgb=to_rgb)
        ours = mimg.imdecode(buf, flag=flag, to_rgb=to_rgb)
        assert_same(ours, theirs, name)


GOOD_FILES = [
    "color.jpg",
    "odd.jpg",
    "gray.jpg",
    "progressive.jpg",
    "corrupt.jpg",
    "color.png",
    "alpha.png",
    "gray.png",
    "color16.png",
    "gray16.png",
    "cmyk.jpg",
    "exif_jfif.jpg",
    "exif_rotated.jpg",
]


@pytest.mark.parametrize("name", GOOD_FILES)
def test_imdecode_special_files_identical(mxnet_ref: MXNetReference, name: str) -> None:
    """CMYK, 16-bit, alpha, grayscale, corrupt-but-decodable, EXIF: MXNet's exact pixels."""
    buf = (DATA / name).read_bytes()
    for flag in (1, 0):
        assert_same(mimg.imdecode(buf, flag), mxnet_ref.call("image_ops.imdecode", buf, flag))


def test_exif_orientation_only_for_non_jfif(mxnet_ref: MXNetReference) -> None:
    """MXNet applies EXIF orientation except to JFIF JPEGs (and PNGs); so does recio."""
    jfif = (DATA / "exif_jfif.jpg").read_bytes()
    rotated = (DATA / "exif_rotated.jpg").read_bytes()
    assert mxnet_ref.call("image_ops.imdecode", jfif).shape == (32, 24, 3)
    assert mxnet_ref.call("image_ops.imdecode", rotated).shape == (24, 32, 3)
    assert mimg.imdecode(jfif).shape == (32, 24, 3)
    assert mimg.imdecode(rotated).shape == (24, 32, 3)


@pytest.mark.parametrize("name", ["empty.jpg", "not_image.txt", "header_only.jpg"])
def test_undecodable_raise_on_both(mxnet_ref: MXNetReference, name: str) -> None:
    buf = (DATA / name).read_bytes()
    theirs = mxnet_ref.outcome("image_ops.imdecode", buf)
    assert theirs.raised("MXNetError")
    with pytest.raises(ImageDecodeError):
        mimg.imdecode(buf)


def test_truncated_jpeg_gives_an_image_on_both(
    mxnet_ref: MXNetReference, photos: dict[str, bytes]
) -> None:
    """A JPEG cut short decodes on both; the rows before the cut are MXNet's exactly.

    What fills the missing part differs (MXNet's libjpeg leaves it black or
    zero; recio decodes with the end-of-image marker restored): a difference.
    """
    full = photos["astronaut_512.jpg"]
    cut = full[: len(full) // 2]
    theirs = mxnet_ref.call("image_ops.imdecode", cut)
    ours = mimg.imdecode(cut).asnumpy()
    assert ours.shape == theirs.shape == (512, 512, 3)
    same_rows = (ours == theirs).all(axis=(1, 2))
    first_bad = int(np.argmin(same_rows))
    assert first_bad > 200  # half of the data holds well over 200 of the 512 rows
    assert same_rows[:first_bad].all()
    with pytest.raises(ImageDecodeError, match="truncated"):
        mimg.imdecode(b"\xff\xd8\xff\xe0" + b"\x00" * 30)


def test_imdecode_input_types(mxnet_ref: MXNetReference, photos: dict[str, bytes]) -> None:
    buf = photos["rocket_97x131.jpg"]
    theirs = mxnet_ref.call("image_ops.imdecode", buf)
    arr = np.frombuffer(buf, dtype=np.uint8)
    as_nd = arr.view(type(mimg.imdecode(buf)))  # a uint8 recio NDArray
    for given in (buf, bytearray(buf), memoryview(buf), arr, arr.reshape(1, -1), as_nd):
        assert_same(mimg.imdecode(given), theirs, type(given).__name__)
    assert mxnet_ref.outcome("image_ops.imdecode", "not bytes").raised("ValueError")
    with pytest.raises(ValueError, match="bytes"):
        mimg.imdecode("not bytes")


def test_imread_matches(
    mxnet_ref: MXNetReference, tmp_path: Path, photos: dict[str, bytes]
) -> None:
    path = tmp_path / "coffee.jpg"
    path.write_bytes(photos["coffee_333x257.jpg"])
    for kwargs in ({}, {"flag": 0}, {"to_rgb": False}):
        assert_same(
            mimg.imread(str(path), **kwargs),
            mxnet_ref.call("image_ops.imread", str(path), **kwargs),
        )
    missing = str(tmp_path / "missing.jpg")
    assert mxnet_ref.outcome("image_ops.imread", missing).raised("MXNetError")
    with pytest.raises(FileNotFoundError):
        mimg.imread(missing)


# -- resizing -----------------------------------------------------------------------------

RESIZES = [(100, 70), (224, 224), (640, 480), (37, 301), (1, 1), (333, 257)]


@pytest.mark.parametrize("interp", [0, 1, 2, 3, 4, 5])
def test_imresize(mxnet_ref: MXNetReference, images: dict[str, np.ndarray], interp: int) -> None:
    img = images["coffee_333x257.jpg"]
    gray = images["camera_gray.jpg"][:, :, :1].copy()
    for src in (img, img.astype(np.float32), gray):
        for w, h in RESIZES:
            theirs = mxnet_ref.call("image_ops.call", "imresize", src, w, h, interp=interp)
            assert_close(mimg.imresize(src, w, h, interp=interp), theirs)


def test_imresize_auto_and_random_interp_are_a_difference(
    mxnet_ref: MXNetReference, images: dict[str, np.ndarray]
) -> None:
    """MXNet documents interp 9 and 10 for imresize but its C++ op rejects them; recio does them."""
    img = images["rocket_97x131.jpg"]
    for interp in (9, 10):
        assert mxnet_ref.outcome("image_ops.call", "imresize", img, 50, 60, interp=interp).raised(
            "MXNetError"
        )
    shrink = mxnet_ref.call("image_ops.call", "imresize", img, 50, 60, interp=3)
    assert_same(mimg.imresize(img, 50, 60, interp=9), shrink)
    grow = mxnet_ref.call("image_ops.call", "imresize", img, 150, 160, interp=2)
    assert_close(mimg.imresize(img, 150, 160, interp=9), grow)
    random.seed(3)
    expected = random.randint(0, 4)
    random.seed(3)
    assert_same(mimg.imresize(img, 50, 60, interp=10), mimg.imresize(img, 50, 60, interp=expected))


@pytest.mark.parametrize("interp", [0, 1, 2, 3, 4, 9])
def test_resize_short(
    mxnet_ref: MXNetReference, images: dict[str, np.ndarray], interp: int
) -> None:
    for name in ("chelsea_451x300.jpg", "rocket_97x131.jpg", "camera_gray.jpg"):
        img = images[name]
        for size in (64, 256, 500):
            theirs = mxnet_ref.call("image_ops.call", "resize_short", img, size, interp=interp)
            assert_close(mimg.resize_short(img, size, interp=interp), theirs)


def test_resize_short_random_interp_same_draw(
    mxnet_ref: MXNetReference, images: dict[str, np.ndarray]
) -> None:
    img = images["rocket_97x131.jpg"]
    for seed in range(5):
        theirs = mxnet_ref.call("image_ops.seeded", "resize_short", seed, img, 150, interp=10)
        random.seed(seed)
        assert_close(mimg.resize_short(img, 150, interp=10), theirs)


# -- cropping ------------------------------------------------------------------------------


def test_fixed_crop(mxnet_ref: MXNetReference, images: dict[str, np.ndarray]) -> None:
    img = images["astronaut_444.jpg"]  # 301 x 203
    for x0, y0, w, h in [(0, 0, 301, 203), (10, 20, 100, 50), (300, 202, 1, 1), (250, 150, 80, 80)]:
        theirs = mxnet_ref.call("image_ops.call", "fixed_crop", img, x0, y0, w, h)
        assert_same(mimg.fixed_crop(img, x0, y0, w, h), theirs)
        for size in [(64, 64), (w, h), (333, 111)]:
            for interp in (1, 2, 9):
                theirs = mxnet_ref.call(
                    "image_ops.call", "fixed_crop", img, x0, y0, w, h, size, interp
                )
                assert_close(mimg.fixed_crop(img, x0, y0, w, h, size, interp), theirs)


def test_fixed_crop_is_a_copy(images: dict[str, np.ndarray]) -> None:
    img = images["rocket_97x131.jpg"].copy()
    before = img.copy()
    out = mimg.fixed_crop(img, 5, 5, 20, 20)
    out[...] = 0
    assert np.array_equal(img, before)


@pytest.mark.parametrize("size", [(224, 224), (64, 100), (100, 64), (700, 500), (97, 131)])
def test_center_crop(
    mxnet_ref: MXNetReference, images: dict[str, np.ndarray], size: tuple[int, int]
) -> None:
    for name in ("chelsea_451x300.jpg", "rocket_97x131.jpg"):
        img = images[name]
        out, box = mxnet_ref.call("image_ops.call", "center_crop", img, size)
        ours, our_box = mimg.center_crop(img, size)
        assert our_box == tuple(box)
        assert_close(ours, out)


@pytest.mark.parametrize("size", [(224, 224), (64, 100), (700, 500)])
def test_random_crop_same_seed_same_crop(
    mxnet_ref: MXNetReference, images: dict[str, np.ndarray], size: tuple[int, int]
) -> None:
    img = images["chelsea_451x300.jpg"]
    for seed in range(4):
        out, box = mxnet_ref.call("image_ops.seeded", "random_crop", seed, img, size)
        random.seed(seed)
        ours, our_box = mimg.random_crop(img, size)
        assert our_box == tuple(box)
        assert_close(ours, out)
        # the drawn box, given to fixed_crop, gives the same pixels
        theirs_fixed = mxnet_ref.call("image_ops.call", "fixed_crop", img, *box, size)
        assert_close(mimg.fixed_crop(img, *our_box, size), theirs_fixed)


@pytest.mark.parametrize(
    ("area", "ratio"), [((0.08, 1.0), (3 / 4, 4 / 3)), (0.5, (0.5, 2.0)), ((0.9, 1.0), (3.0, 4.0))]
)
def test_random_size_crop_same_seed_same_crop(
    mxnet_ref: MXNetReference, images: dict[str, np.ndarray], area: Any, ratio: Any
) -> None:
    """Same draws after the same seed, including the centre-crop fallback (ratio 3-4)."""
    img = images["coffee_333x257.jpg"]
    for seed in range(4):
        out, box = mxnet_ref.call(
            "image_ops.seeded", "random_size_crop", seed, img, (96, 96), area, ratio
        )
        random.seed(seed)
        ours, our_box = mimg.random_size_crop(img, (96, 96), area, ratio)
        assert our_box == tuple(box)
        assert_close(ours, out)


def test_random_crops_generator_statistics(mxnet_ref: MXNetReference) -> None:
    """With a numpy Generator the boxes follow MXNet's distribution (same ranges and shape)."""
    n = 3000
    shape = (300, 451, 3)
    args = ((96, 96), 0.08, (0.75, 4 / 3))
    theirs = np.array(mxnet_ref.call("image_ops.boxes", "random_size_crop", 0, n, shape, *args))
    rng = np.random.default_rng(0)
    img = np.zeros(shape, np.uint8)
    ours = np.array([mimg.random_size_crop(img, *args, rng=rng)[1] for _ in range(n)])
    for column in range(4):
        a, b = ours[:, column].astype(float), theirs[:, column].astype(float)
        assert a.min() >= 0 and b.min() >= 0
        assert abs(a.mean() - b.mean()) < 0.1 * b.std() + 1
        assert abs(np.median(a) - np.median(b)) < 0.15 * b.std() + 1
    assert ours[:, 2].max() <= 451 and ours[:, 3].max() <= 300
    theirs = np.array(mxnet_ref.call("image_ops.boxes", "random_crop", 1, n, shape, (224, 224)))
    ours = np.array([mimg.random_crop(img, (224, 224), rng=rng)[1] for _ in range(n)])
    for column in (0, 1):
        assert ours[:, column].min() == theirs[:, column].min() == 0
        assert ours[:, column].max() == theirs[:, column].max()
        assert abs(ours[:, column].mean() - theirs[:, column].mean()) < 5


# -- colour, borders, scale_down -----------------------------------------------------------


def test_color_normalize(mxnet_ref: MXNetReference, images: dict[str, np.ndarray]) -> None:
    img = images["coffee_333x257.jpg"].astype(np.float32)
    mean = np.array([123.68, 116.28, 103.53], np.float32)
    std = np.array([58.395, 57.12, 57.375], np.float32)
    for args in ((mean, std), (mean, None), (None, std)):
        theirs = mxnet_ref.call("image_ops.call_nd_args", "color_normalize", img, *args)
        ours = mimg.color_normalize(img.copy(), *args)
        assert ours.dtype == theirs.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-5)


def test_color_normalize_integer_image(
    mxnet_ref: MXNetReference, images: dict[str, np.ndarray]
) -> None:
    """uint8 image, float mean: MXNet refuses (dtype mismatch); recio says to cast first."""
    img = images["rocket_97x131.jpg"]
    mean = np.array([123.68, 116.28, 103.53], np.float32)
    assert mxnet_ref.outcome("image_ops.call_nd_args", "color_normalize", img, mean).raised(
        "MXNetError"
    )
    with pytest.raises(TypeError, match="float32"):
        mimg.color_normalize(img.copy(), mean)


BORDER_CASES: list[dict[str, Any]] = [
    {},
    {"value": 7},
    {"value": 7.6},
    {"value": 300},
    {"values": (5,)},
    {"values": (5, 6, 7)},
    {"value": 9, "values": (5, 6, 7)},
    {"type": 1},
    {"type": 2},
    {"type": 3},
    {"type": 4},
    {"type": 16, "value": 3},
]


@pytest.mark.parametrize("kwargs", BORDER_CASES)
def test_copy_make_border(
    mxnet_ref: MXNetReference, images: dict[str, np.ndarray], kwargs: dict[str, Any]
) -> None:
    img = images["rocket_97x131.jpg"]
    rgba = np.dstack([img, img[:, :, :1]])
    gray = img[:, :, :1].copy()
    given = len(kwargs.get("values", ()))
    for src in (img, img.astype(np.float32), rgba, gray):
        theirs = mxnet_ref.call("image_ops.call", "copyMakeBorder", src, 3, 1, 4, 2, **kwargs)
        ours = np.asarray(mimg.copyMakeBorder(src, 3, 1, 4, 2, **kwargs))
        if 0 < given < src.shape[2]:
            # MXNet reads the channel values past those given from uninitialised memory
            # (0 mostly, once inf in CI); recio's are 0 (docs/differences.md)
            border = np.ones(ours.shape[:2], bool)
            border[3:-1, 4:-2] = False
            assert (ours[border][:, given:] == 0).all()
            ours, theirs = ours[:, :, :given], theirs[:, :, :given]
        assert_same(ours, theirs)


def test_scale_down(mxnet_ref: MXNetReference) -> None:
    rng = np.random.default_rng(5)
    pairs = [((640, 480), (720, 120)), ((10, 10), (10, 10)), ((3, 7), (100, 1))]
    pairs += [
        (
            tuple(int(v) for v in rng.integers(1, 500, 2)),
            tuple(int(v) for v in rng.integers(1, 900, 2)),
        )
        for _ in range(300)
    ]
    theirs = mxnet_ref.call("image_ops.scale_down", pairs)
    ours = [mimg.scale_down(src, size) for src, size in pairs]
    assert ours == [tuple(t) for t in theirs]


def test_mxnet_error_type_is_reported(mxnet_ref: MXNetReference) -> None:
    """Sanity of the harness use above: an MXNet error is a ReferenceCallError on call()."""
    with pytest.raises(ReferenceCallError):
        mxnet_ref.call("image_ops.imdecode", b"")

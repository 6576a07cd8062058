"""IRHeader, pack/unpack and the image helpers pack_img/unpack_img."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recio import mx, recordio

ids = st.integers(0, 2**64 - 1)
labels = st.floats(width=32, allow_nan=False)
payloads = st.one_of(st.binary(max_size=64), st.text(max_size=16))


def test_seed_tutorial_pack_unpack() -> None:
    """Seed 001's pack/unpack snippet with the import changed."""
    data = "data"
    header1 = mx.recordio.IRHeader(flag=0, label=1.0, id=1, id2=0)
    s1 = mx.recordio.pack(header1, data)
    header2 = mx.recordio.IRHeader(flag=3, label=[1.0, 2.0, 3.0], id=2, id2=0)
    s2 = mx.recordio.pack(header2, data)
    assert mx.recordio.unpack(s1) == (recordio.IRHeader(0, 1.0, 1, 0), b"data")
    header, payload = mx.recordio.unpack(s2)
    assert payload == b"data" and header.flag == 3 and (header.id, header.id2) == (2, 0)
    assert header.label.dtype == np.float32
    np.testing.assert_array_equal(header.label, [1, 2, 3])


def test_header_layout() -> None:
    packed = recordio.pack(recordio.IRHeader(7, 2.5, 3, 4), b"xy")
    assert packed == struct.pack("<IfQQ", 0, 2.5, 3, 4) + b"xy"  # flag forced to 0, as MXNet
    packed = recordio.pack((0, np.array([1.5, 2.5]), 9, 0), b"")
    assert packed == struct.pack("<IfQQ", 2, 0.0, 9, 0) + struct.pack("<2f", 1.5, 2.5)


@given(st.integers(0, 2**32 - 1), labels, ids, ids, payloads)
def test_scalar_round_trip(flag: int, label: float, id_: int, id2: int, s: bytes | str) -> None:
    header, payload = recordio.unpack(recordio.pack(recordio.IRHeader(flag, label, id_, id2), s))
    assert header == (0, label, id_, id2) and isinstance(header.label, float)
    assert payload == (s.encode() if isinstance(s, str) else s)


@given(st.lists(labels, min_size=1, max_size=20), ids, payloads)
def test_multi_label_round_trip(values: list[float], id_: int, s: bytes | str) -> None:
    header, payload = recordio.unpack(recordio.pack(recordio.IRHeader(0, values, id_, 0), s))
    assert header.flag == len(values) and header.id == id_
    np.testing.assert_array_equal(header.label, np.asarray(values, np.float32))
    assert payload == (s.encode() if isinstance(s, str) else s)


def test_unpack_rejects_short_records() -> None:
    with pytest.raises(ValueError, match="24-byte header; got 3 bytes"):
        recordio.unpack(b"abc")
    short = struct.pack("<IfQQ", 5, 0.0, 1, 0) + b"\0" * 8
    with pytest.raises(ValueError, match=r"flag=5 float32 labels .* only 8 bytes"):
        recordio.unpack(short)


@pytest.mark.parametrize("fmt", [".jpg", ".png", ".JPEG", ".PNG"])
@pytest.mark.parametrize("channels", [1, 3])
def test_image_round_trip(fmt: str, channels: int) -> None:
    yy, xx = np.mgrid[0:20, 0:30]
    planes = [yy * 6, xx * 4, yy * 3 + xx * 2][:channels]
    smooth = np.stack(planes, -1).astype(np.uint8)  # gradients survive JPEG well
    quality = 3 if fmt.lower() == ".png" else 100
    s = recordio.pack_img(recordio.IRHeader(0, 4.0, 7, 0), smooth, quality=quality, img_fmt=fmt)
    header, out = recordio.unpack_img(s)
    assert header == (0, 4.0, 7, 0)
    expected = smooth[..., 0] if channels == 1 else smooth
    assert out.shape == expected.shape and out.dtype == np.uint8
    if fmt.lower() == ".png":
        np.testing.assert_array_equal(out, expected)
    else:
        assert np.abs(out.astype(int) - expected).mean() < 3
    _, gray = recordio.unpack_img(s, iscolor=0)
    assert gray.ndim == 2


def test_seed_tutorial_pack_img() -> None:
    data = np.ones((3, 3, 1), dtype=np.uint8)
    header = mx.recordio.IRHeader(flag=0, label=1.0, id=0, id2=0)
    s = mx.recordio.pack_img(header, data, quality=100, img_fmt=".jpg")
    h, img = mx.recordio.unpack_img(s)
    assert h.label == 1.0
    np.testing.assert_array_equal(img, np.ones((3, 3), np.uint8))


def test_unpack_img_of_a_non_image() -> None:
    s = recordio.pack(recordio.IRHeader(0, 1.0, 42, 0), b"definitely not a jpeg")
    with pytest.raises(ValueError, match="record id 42: payload of 21 bytes is not an image"):
        recordio.unpack_img(s)
    with pytest.raises(ValueError, match="payload of 0 bytes"):
        recordio.unpack_img(recordio.pack(recordio.IRHeader(0, 1.0, 42, 0), b""))


def test_pack_img_bad_format() -> None:
    import cv2

    with pytest.raises((ValueError, cv2.error)):
        recordio.pack_img((0, 1.0, 0, 0), np.zeros((4, 4, 3), np.uint8), img_fmt=".nope")

"""recio.io.MNISTIter: shapes, scaling, parts, shuffle, parameters, bad files, resume."""

from __future__ import annotations

import gzip
import logging
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recio import io as mio
from recio._io.mnist_iter import (
    MNISTFormatError,
    MNISTIter,
    parse_images,
    parse_labels,
    part_bounds,
    shuffled_order,
)
from recio._params import InvalidParameterError
from recio.nd import NDArray

from _iterchecks import assert_resumes_exactly, batch_arrays, stream


def idx_images(images: np.ndarray, magic: int = 2051) -> bytes:
    n, rows, cols = images.shape
    return struct.pack(">IIII", magic, n, rows, cols) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray, magic: int = 2049) -> bytes:
    return struct.pack(">II", magic, len(labels)) + labels.astype(np.uint8).tobytes()


def write_mnist(
    where: Path, n: int = 70, rows: int = 28, cols: int = 28, gz: bool = False, seed: int = 0
) -> tuple[dict[str, str], np.ndarray, np.ndarray]:
    """Random images and labels in idx-ubyte files: (image/label kwargs, images, labels)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, rows, cols), dtype=np.uint8)
    images[0, 0, 0] = 255  # the brightest pixel is always there
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    image_path = where / f"images-{n}-idx3-ubyte{suffix}"
    label_path = where / f"labels-{n}-idx1-ubyte{suffix}"
    pack = gzip.compress if gz else bytes
    image_path.write_bytes(pack(idx_images(images)))
    label_path.write_bytes(pack(idx_labels(labels)))
    return {"image": str(image_path), "label": str(label_path)}, images, labels


@pytest.fixture
def mnist(tmp_path: Path) -> tuple[dict[str, str], np.ndarray, np.ndarray]:
    return write_mnist(tmp_path)


def epoch(it: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(data, labels, indices) of one epoch, concatenated."""
    batches = [batch_arrays(b) for b in it]
    return (
        np.concatenate([b[0][0] for b in batches]),
        np.concatenate([b[1][0] for b in batches]),
        np.concatenate([b[3] for b in batches]),
    )


# -- what a batch holds ------------------------------------------------------------


def test_batches_are_pixels_over_256_in_file_order(mnist: Any) -> None:
    files, images, labels = mnist
    it = mio.MNISTIter(**files, batch_size=8, shuffle=False, silent=True)
    batches = list(it)
    assert len(batches) == 8  # 70 // 8: the last 6 images are dropped
    for n, batch in enumerate(batches):
        (data,), (label,) = batch.data, batch.label
        assert isinstance(data, NDArray) and isinstance(label, NDArray)
        assert data.shape == (8, 1, 28, 28) and data.dtype == np.float32
        assert label.shape == (8,) and label.dtype == np.float32
        np.testing.assert_array_equal(data.asnumpy(), images[8 * n : 8 * n + 8, None] / 256)
        np.testing.assert_array_equal(label.asnumpy(), labels[8 * n : 8 * n + 8])
        assert batch.pad == 0
        assert batch.index.dtype == np.uint64
        np.testing.assert_array_equal(batch.index, np.arange(8 * n, 8 * n + 8))
    assert batches[0].data[0].asnumpy()[0, 0, 0, 0] == np.float32(0.99609375)  # 255 / 256


def test_flat_gives_rows_times_cols(mnist: Any) -> None:
    files, images, _ = mnist
    it = mio.MNISTIter(**files, batch_size=10, shuffle="False", flat="True", silent=True)
    data, _, _ = epoch(it)
    assert data.shape == (70, 784)
    np.testing.assert_array_equal(data, images.reshape(70, 784) / 256)
    assert it.provide_data == [mio.DataDesc("data", (10, 784))]


def test_provide_data_and_label_with_names(mnist: Any) -> None:
    files, _, _ = mnist
    it = mio.MNISTIter(**files, batch_size=5, data_name="x", label_name="y", silent=True)
    assert repr(it.provide_data) == "[DataDesc[x,(5, 1, 28, 28),<class 'numpy.float32'>,NCHW]]"
    assert repr(it.provide_label) == "[DataDesc[y,(5,),<class 'numpy.float32'>,NCHW]]"
    assert it.batch_size == 5


def test_any_image_size_is_read(tmp_path: Path) -> None:
    files, images, _ = write_mnist(tmp_path, n=12, rows=5, cols=3)
    data, _, _ = epoch(mio.MNISTIter(**files, batch_size=4, shuffle=False, silent=True))
    np.testing.assert_array_equal(data, images[:, None] / 256)


def test_gzipped_files_read_like_plain_ones(tmp_path: Path) -> None:
    plain, _, _ = write_mnist(tmp_path, gz=False)
    packed, _, _ = write_mnist(tmp_path, gz=True)
    a = epoch(mio.MNISTIter(**plain, batch_size=7, seed=3, silent=True))
    b = epoch(mio.MNISTIter(**packed, batch_size=7, seed=3, silent=True))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_batches_stay_valid_after_next(mnist: Any) -> None:
    files, images, _ = mnist
    batches = list(mio.MNISTIter(**files, batch_size=10, shuffle=False, silent=True))
    for n, batch in enumerate(batches):
        np.testing.assert_array_equal(batch.data[0], images[10 * n : 10 * n + 10, None] / 256)


def test_changing_a_batch_changes_nothing_else(mnist: Any) -> None:
    files, images, _ = mnist
    it = mio.MNISTIter(**files, batch_size=10, shuffle=False, silent=True)
    first = next(it)
    first.data[0] += 1
    first.label[0][:] = -1
    it.reset()
    again = next(it)
    np.testing.assert_array_equal(again.data[0], images[:10, None] / 256)
    assert (again.label[0] >= 0).all()


def test_batch_larger_than_the_data_gives_an_empty_epoch(mnist: Any) -> None:
    files, _, _ = mnist
    it = mio.MNISTIter(**files, batch_size=71, silent=True)
    assert list(it) == []
    assert it.provide_data[0].shape == (71, 1, 28, 28)


def test_hooks_follow_iter_next(mnist: Any) -> None:
    files, _, labels = mnist
    it = mio.MNISTIter(**files, batch_size=5, shuffle=False, silent=True)
    with pytest.raises(RuntimeError, match="iter_next"):
        it.getdata()
    assert it.iter_next()
    np.testing.assert_array_equal(it.getlabel()[0], labels[:5])
    assert it.getpad() == 0


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [("float16", np.float16), ("float64", np.float64), ("float32", np.float32), (None, None)],
)
def test_float_dtypes_hold_the_same_scaled_values(mnist: Any, dtype: Any, expected: Any) -> None:
    files, images, _ = mnist
    it = mio.MNISTIter(**files, batch_size=10, shuffle=False, dtype=dtype, silent=True)
    data = next(it).data[0]
    assert data.dtype == (expected or np.float32)
    assert it.provide_data[0].dtype is (expected or np.float32)
    np.testing.assert_array_equal(data.astype(np.float64), images[:10, None] / 256)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64"])
def test_integer_dtypes_hold_raw_pixels(mnist: Any, dtype: str) -> None:
    files, images, _ = mnist
    data = next(mio.MNISTIter(**files, batch_size=10, shuffle=False, dtype=dtype)).data[0]
    assert data.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(data, images[:10, None])


def test_load_message_unless_silent(mnist: Any, caplog: pytest.LogCaptureFixture) -> None:
    files, _, _ = mnist
    with caplog.at_level(logging.INFO, logger="recio._io.mnist_iter"):
        mio.MNISTIter(**files, batch_size=8, shuffle=False)
        mio.MNISTIter(**files, batch_size=8, flat=True, silent=True)
        mio.MNISTIter(**files, batch_size=8, flat=True, num_parts=2)
    assert caplog.messages == [
        "MNISTIter: load 70 images, shuffle=0, shape=[8,1,28,28]",
        "MNISTIter: load 35 images, shuffle=1, shape=(8,784)",
    ]


# -- parts and shuffle -------------------------------------------------------------


def test_part_bounds_round_like_mxnet() -> None:
    assert part_bounds(70, 2, 1) == (35, 70)
    assert [part_bounds(71, 3, k) for k in range(3)] == [(0, 23), (23, 47), (47, 71)]
    starts = [part_bounds(10, 7, k)[0] for k in range(7)]
    assert starts == [0, 1, 2, 4, 5, 7, 8]


@pytest.mark.parametrize(("n", "parts"), [(70, 2), (71, 3), (10, 4)])
def test_parts_are_contiguous_and_cover_the_data(tmp_path: Path, n: int, parts: int) -> None:
    files, images, labels = write_mnist(tmp_path, n=n)
    seen = []
    for k in range(parts):
        it = mio.MNISTIter(**files, batch_size=1, shuffle=False, num_parts=parts, part_index=k)
        data, label, index = epoch(it)
        start, end = part_bounds(n, parts, k)
        np.testing.assert_array_equal(index, np.arange(start, end))
        np.testing.assert_array_equal(data, images[start:end, None] / 256)
        np.testing.assert_array_equal(label, labels[start:end])
        seen.extend(index.tolist())
    assert seen == list(range(n))


def test_shuffle_is_fixed_by_the_seed_and_the_same_every_epoch(mnist: Any) -> None:
    files, images, labels = mnist
    it = mio.MNISTIter(**files, batch_size=10, seed=4, silent=True)
    epochs = []
    for e in range(3):
        if e:
            it.reset()
        epochs.append(epoch(it))
    again = epoch(mio.MNISTIter(**files, batch_size=10, seed="4", silent=True))
    other = epoch(mio.MNISTIter(**files, batch_size=10, seed=5, silent=True))
    for data, label, index in [*epochs, again]:
        np.testing.assert_array_equal(index, epochs[0][2])
        np.testing.assert_array_equal(data, images[index.astype(int), None] / 256)
        np.testing.assert_array_equal(label, labels[index.astype(int)])
    assert sorted(epochs[0][2].tolist()) == list(range(70))
    assert not np.array_equal(other[2], epochs[0][2])


def test_shuffle_stays_inside_the_part(mnist: Any) -> None:
    files, _, _ = mnist
    it = mio.MNISTIter(**files, batch_size=5, seed=1, num_parts=2, part_index=1, silent=True)
    assert sorted(epoch(it)[2].tolist()) == list(range(35, 70))


def reference_shuffle(count: int, seed: int) -> list[int]:
    """libstdc++'s std::shuffle over std::mt19937(seed), one draw at a time."""
    generator = np.random.MT19937(0)
    generator._legacy_seeding(seed % 2**32)  # numpy's legacy seeding is std::mt19937's
    order = list(range(count))
    for i in range(1, count):
        scale = 0xFFFFFFFF // (i + 1)
        raw = int(generator.random_raw())
        while raw >= (i + 1) * scale:  # rejected: draw again
            raw = int(generator.random_raw())
        j = raw // scale
        order[i], order[j] = order[j], order[i]
    return order


@pytest.mark.parametrize(("count", "seed"), [(0, 0), (1, 0), (2, 0), (70, 0), (70, -5), (71, 9)])
def test_shuffled_order_matches_a_draw_by_draw_reference(count: int, seed: int) -> None:
    assert shuffled_order(count, seed).tolist() == reference_shuffle(count, seed)


def test_shuffled_order_handles_rejected_draws() -> None:
    # ~1 draw in 2**32 / count is rejected: 300000 items reject about 10 of them.
    assert shuffled_order(300_000, 1).tolist() == reference_shuffle(300_000, 1)


def test_mxnet_orders_for_seed_0() -> None:
    # Observed with MXNet 1.9.1 (10 images, seed 0, and the first of 70).
    assert shuffled_order(10, 0).tolist() == [0, 2, 3, 5, 9, 1, 6, 8, 4, 7]
    assert shuffled_order(70, 0)[:5].tolist() == [33, 69, 31, 5, 14]


# -- parameters --------------------------------------------------------------------


def test_every_parameter_as_a_string(mnist: Any) -> None:
    files, _, _ = mnist
    it = MNISTIter(
        **files,
        batch_size="7",
        shuffle="True",
        flat="False",
        seed="3",
        silent="True",
        num_parts="2",
        part_index="1",
        prefetch_buffer="2",
        ctx="cpu",
        dtype="float32",
        input_shape="(1,28,28)",
    )
    assert it.provide_data[0].shape == (7, 1, 28, 28)
    assert sorted(epoch(it)[2].tolist()) == list(range(35, 70))


def test_defaults_are_mxnet_ones(mnist: Any) -> None:
    files, _, _ = mnist
    opts = MNISTIter(**files, batch_size=1, silent=True).options
    assert (opts.shuffle, opts.flat, opts.seed) == (True, False, 0)
    assert (opts.num_parts, opts.part_index) == (1, 0)
    assert (opts.prefetch_buffer, opts.ctx, opts.dtype) == (4, "gpu", None)
    assert (opts.data_name, opts.label_name) == ("data", "softmax_label")


def test_default_paths_name_the_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="image") as info:
        mio.MNISTIter()
    assert info.value.filename == "./train-images-idx3-ubyte"


def test_missing_label_file_is_named(mnist: Any, tmp_path: Path) -> None:
    files, _, _ = mnist
    with pytest.raises(FileNotFoundError, match="label") as info:
        mio.MNISTIter(image=files["image"], label=str(tmp_path / "nope"))
    assert info.value.filename == str(tmp_path / "nope")


def test_files_from_fsspec_urls(mnist: Any) -> None:
    import fsspec

    files, _, labels = mnist
    memory = fsspec.filesystem("memory")
    for key, path in files.items():
        memory.pipe(f"/mnist-test/{key}", Path(path).read_bytes())
    urls = {key: f"memory://mnist-test/{key}" for key in files}
    it = mio.MNISTIter(**urls, batch_size=10, shuffle=False, silent=True)
    np.testing.assert_array_equal(epoch(it)[1], labels)
    with pytest.raises(FileNotFoundError, match=r"image file does not exist.*nope"):
        mio.MNISTIter(image="memory://mnist-test/nope", label=urls["label"])


def test_unknown_parameter_names_the_closest(mnist: Any) -> None:
    files, _, _ = mnist
    with pytest.raises(InvalidParameterError, match=r"'batchsize'.*'batch_size'.*part_index"):
        mio.MNISTIter(**files, batchsize=10)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"batch_size": 0}, "batch_size must be at least 1, got 0"),
        ({"batch_size": "5.5"}, "batch_size: expected int"),
        ({"num_parts": 0}, "num_parts must be at least 1"),
        ({"num_parts": 2, "part_index": 2}, r"part_index must be in \[0, num_parts\)"),
        ({"part_index": -1}, "part_index"),
        ({"prefetch_buffer": -1}, "prefetch_buffer must be non-negative"),
        ({"shuffle": "maybe"}, "shuffle: expected True or False"),
        ({"seed": 2**31}, "seed must be a 32-bit signed integer"),
        ({"ctx": "tpu"}, "ctx: expected one of"),
        ({"dtype": "bfloat16"}, "numpy has no bfloat16"),
        ({"dtype": "int8"}, "int8 cannot hold 255"),
        ({"dtype": "complex64"}, "dtype"),
    ],
)
def test_bad_values_say_the_rule(mnist: Any, bad: dict[str, Any], message: str) -> None:
    files, _, _ = mnist
    with pytest.raises(InvalidParameterError, match=message):
        mio.MNISTIter(**files, **bad)


def test_prefetch_buffer_zero_is_fine(mnist: Any) -> None:
    files, _, _ = mnist  # MXNet 1.9.1 crashes (segmentation fault) on prefetch_buffer=0
    assert len(list(mio.MNISTIter(**files, batch_size=10, prefetch_buffer=0))) == 7


# -- bad files ---------------------------------------------------------------------


def write_pair(where: Path, image_bytes: bytes, label_bytes: bytes) -> dict[str, str]:
    (where / "img").write_bytes(image_bytes)
    (where / "lab").write_bytes(label_bytes)
    return {"image": str(where / "img"), "label": str(where / "lab")}


IMAGES = np.arange(5 * 2 * 3, dtype=np.uint8).reshape(5, 2, 3)
LABELS = np.arange(5, dtype=np.uint8)


@pytest.mark.parametrize(
    ("image_bytes", "label_bytes", "bad", "message"),
    [
        (idx_images(IMAGES, magic=1234), idx_labels(LABELS), "img", "magic number 1234.*2051"),
        (idx_images(IMAGES), idx_labels(LABELS, magic=2051), "lab", "magic number 2051.*2049"),
        (idx_labels(LABELS), idx_images(IMAGES), "img", "not an MNIST images file"),
        (idx_images(IMAGES)[:-1], idx_labels(LABELS), "img", "truncated file.*5x2x3.*46 bytes"),
        (idx_images(IMAGES) + b"\0", idx_labels(LABELS), "img", "unexpected bytes at the end"),
        (idx_images(IMAGES), idx_labels(LABELS)[:-2], "lab", "truncated file.*shape 5.*11 bytes"),
        (idx_images(IMAGES)[:10], idx_labels(LABELS), "img", "truncated header: 10 bytes"),
        (b"", idx_labels(LABELS), "img", "0 bytes is too short"),
        (idx_images(IMAGES), idx_labels(LABELS[:4]), "lab", "holds 5 images.*holds 4 labels"),
        (gzip.compress(idx_images(IMAGES))[:-9], idx_labels(LABELS), "img", "damaged gzip"),
        (gzip.compress(idx_images(IMAGES)[:-1]), idx_labels(LABELS), "img", "once decompressed"),
    ],
)
def test_bad_files_name_the_file_and_the_mismatch(
    tmp_path: Path, image_bytes: bytes, label_bytes: bytes, bad: str, message: str
) -> None:
    files = write_pair(tmp_path, image_bytes, label_bytes)
    with pytest.raises(MNISTFormatError, match=message) as info:
        mio.MNISTIter(**files, batch_size=1)
    assert isinstance(info.value, OSError)
    assert info.value.path == str(tmp_path / bad)
    assert str(tmp_path / bad) in str(info.value)


dims = st.integers(0, 6)


@settings(max_examples=200, deadline=None)
@given(n=dims, rows=dims, cols=dims, data=st.data())
def test_idx_files_round_trip(n: int, rows: int, cols: int, data: st.DataObject) -> None:
    size = n * rows * cols
    pixels = data.draw(st.binary(min_size=size, max_size=size))
    images = np.frombuffer(pixels, dtype=np.uint8).reshape(n, rows, cols)
    labels = np.frombuffer(data.draw(st.binary(min_size=n, max_size=n)), dtype=np.uint8)
    gz = data.draw(st.booleans())
    pack = gzip.compress if gz else bytes
    np.testing.assert_array_equal(parse_images(pack(idx_images(images))), images)
    np.testing.assert_array_equal(parse_labels(pack(idx_labels(labels))), labels)
    assert parse_images(idx_images(images)).shape == (n, rows, cols)


@settings(max_examples=300, deadline=None)
@given(
    header=st.tuples(st.integers(0, 2**32 - 1), dims, dims, dims),
    payload=st.integers(0, 250),
    kind=st.sampled_from(["images", "labels"]),
)
def test_any_header_size_mismatch_is_a_clear_error(
    header: tuple[int, int, int, int], payload: int, kind: str
) -> None:
    magic, n, rows, cols = header
    if kind == "images":
        head = struct.pack(">IIII", magic, n, rows, cols)
        parse, expected_magic, needed = parse_images, 2051, 16 + n * rows * cols
    else:
        head = struct.pack(">II", magic, n)
        parse, expected_magic, needed = parse_labels, 2049, 8 + n
    blob = head + bytes(payload)
    if magic == expected_magic and len(blob) == needed:
        assert parse(blob, "f").size == needed - len(head)
        return
    with pytest.raises(MNISTFormatError) as info:
        parse(blob, "some/file")
    text = str(info.value)
    assert text.startswith("some/file: ") and info.value.path == "some/file"
    if magic != expected_magic:
        assert f"magic number {magic} " in text and f"expected {expected_magic}" in text
    else:
        assert f"take {needed} bytes" in text and f"has {len(blob)} bytes" in text


def test_truncated_header_with_the_right_magic() -> None:
    with pytest.raises(MNISTFormatError, match=r"truncated header: 6 bytes.*has 16"):
        parse_images(struct.pack(">IH", 2051, 3), "f")


# -- beyond MXNet: resume ----------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 8, "shuffle": False},
        {"batch_size": 8, "shuffle": True, "seed": 11},
        {"batch_size": 5, "shuffle": True, "num_parts": 3, "part_index": 1, "flat": True},
        {"batch_size": 1, "shuffle": True, "num_parts": 4, "part_index": 3},
        {"batch_size": 71, "shuffle": False},
    ],
)
def test_resumes_exactly(mnist: Any, kwargs: dict[str, Any]) -> None:
    files, _, _ = mnist
    assert_resumes_exactly(lambda: mio.MNISTIter(**files, **kwargs, silent=True))


def test_state_from_other_parameters_is_refused(mnist: Any) -> None:
    files, _, _ = mnist
    state = mio.MNISTIter(**files, batch_size=8, seed=1, silent=True).state_dict()
    other = mio.MNISTIter(**files, batch_size=8, seed=2, silent=True)
    with pytest.raises(ValueError, match="seed: saved 1, here 2"):
        other.load_state_dict(state)
    same = mio.MNISTIter(**files, batch_size=8, seed=1, silent=True)
    with pytest.raises(ValueError, match="cursor must be an int"):
        same.load_state_dict({**state, "cursor": 71})


def test_three_epochs_repeat(mnist: Any) -> None:
    files, _, _ = mnist
    epochs = stream(mio.MNISTIter(**files, batch_size=9, silent=True), 3)
    assert len(epochs) == 3 and all(len(e) == 7 for e in epochs)

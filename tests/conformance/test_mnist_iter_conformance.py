"""recio.io.MNISTIter against MXNet 1.9.1's mx.io.MNISTIter on the same generated files.

Both read the same idx-ubyte files for three epochs (reset() between them) and
must give the same data, labels, pad and descriptors, shuffled or not (recio
reproduces MXNet's permutation). ``index`` differs on purpose: MXNet 1.9.1
gives zeros, recio the images' positions in the file. The deliberate
differences (bad files, .gz, dtype, empty epochs) are pinned on both sides.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recio import io as mio
from recio._io.mnist_iter import MNISTFormatError, part_bounds

from _reference import MXNetReference

pytestmark = pytest.mark.conformance

EPOCHS = 3


def write_mnist(
    where: Path, n: int, rows: int = 28, cols: int = 28, seed: int = 0
) -> tuple[dict[str, str], np.ndarray]:
    """Random images and labels in idx-ubyte files: (image/label kwargs, images)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, rows, cols), dtype=np.uint8)
    images[0, 0, 0] = 255
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    image_path = where / f"images-{n}-{rows}x{cols}-idx3-ubyte"
    label_path = where / f"labels-{n}-idx1-ubyte"
    image_path.write_bytes(struct.pack(">IIII", 2051, n, rows, cols) + images.tobytes())
    label_path.write_bytes(struct.pack(">II", 2049, n) + labels.tobytes())
    return {"image": str(image_path), "label": str(label_path)}, images


@pytest.fixture(scope="module")
def files70(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return write_mnist(tmp_path_factory.mktemp("mnist70"), 70)[0]


@pytest.fixture(scope="module")
def files71(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return write_mnist(tmp_path_factory.mktemp("mnist71"), 71, seed=1)[0]


def desc(descs: list[Any]) -> list[tuple[str, tuple[int, ...], str]]:
    return [(d.name, tuple(d.shape), np.dtype(d.dtype).name) for d in descs]


def recio_run(kwargs: dict[str, Any], epochs: int = EPOCHS) -> dict[str, Any]:
    it = mio.MNISTIter(**kwargs)
    out: dict[str, Any] = {
        "provide_data": desc(it.provide_data),
        "provide_label": desc(it.provide_label),
        "batch_size": it.batch_size,
        "epochs": [],
    }
    for epoch in range(epochs):
        if epoch:
            it.reset()
        batches = []
        for b in it:
            data = [d.asnumpy() for d in b.data]
            batches.append((data, [lab.asnumpy() for lab in b.label], b.pad, b.index))
        out["epochs"].append(batches)
    return out


def assert_same_run(ours: dict[str, Any], theirs: dict[str, Any], start: int) -> None:
    """Same descriptors and batches; MXNet's index is zeros, ours the file positions."""
    assert theirs["ctor_stop"] is False
    for key in ("provide_data", "provide_label", "batch_size"):
        assert ours[key] == theirs[key], key
    assert len(ours["epochs"]) == len(theirs["epochs"])
    for e, (mine, ref) in enumerate(zip(ours["epochs"], theirs["epochs"], strict=True)):
        assert len(mine) == len(ref), f"epoch {e}: {len(mine)} batches, MXNet {len(ref)}"
        for n, (a, b) in enumerate(zip(mine, ref, strict=True)):
            where = f"epoch {e} batch {n}"
            for x, y in zip(a[0] + a[1], b[0] + b[1], strict=True):
                assert x.dtype == y.dtype and x.shape == y.shape, where
                np.testing.assert_array_equal(x, y, err_msg=where)
            assert a[2] == b[2] == 0, where
            assert b[3].dtype == np.uint64 and not b[3].any(), "MXNet 1.9.1's index is zeros"
            assert a[3].dtype == np.uint64 and a[3].shape == b[3].shape
            assert (a[3] >= start).all(), where


BATCH_SIZES = [1, 7, 16, 35]
PARTS = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]


@pytest.mark.parametrize("flat", [False, True])
@pytest.mark.parametrize(("num_parts", "part_index"), PARTS)
@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("shuffle", [False, True])
def test_same_batches_as_mxnet(
    mxnet_ref: MXNetReference,
    files71: dict[str, str],
    flat: bool,
    num_parts: int,
    part_index: int,
    batch_size: int,
    shuffle: bool,
) -> None:
    kwargs = dict(
        files71,
        batch_size=batch_size,
        flat=flat,
        shuffle=shuffle,
        seed=17,
        num_parts=num_parts,
        part_index=part_index,
        silent=True,
    )
    start, end = part_bounds(71, num_parts, part_index)
    theirs = mxnet_ref.call("io_mnist.run", kwargs, EPOCHS)
    ours = recio_run(kwargs)
    if batch_size > end - start:  # no full batch: see test_batch_larger_than_the_part
        assert theirs == {"ctor_stop": True}
        assert ours["epochs"] == [[]] * EPOCHS
        return
    assert_same_run(ours, theirs, start)


@pytest.mark.parametrize("seed", [0, 1, -5, 123456789])
def test_shuffled_order_is_mxnets(
    mxnet_ref: MXNetReference, files70: dict[str, str], seed: int
) -> None:
    kwargs = dict(files70, batch_size=10, shuffle=True, seed=seed, silent=True)
    assert_same_run(recio_run(kwargs), mxnet_ref.call("io_mnist.run", kwargs, EPOCHS), 0)


def test_shuffled_order_of_many_images_is_mxnets(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    # Tiny 1x3 images keep the file small; 200000 draws include some that are rejected.
    n = 200_000
    files, _ = write_mnist(tmp_path, n, rows=1, cols=3)
    kwargs = dict(files, batch_size=n, shuffle=True, seed=42, silent=True)
    theirs = mxnet_ref.call("io_mnist.run", kwargs, 1)
    assert_same_run(recio_run(kwargs, 1), theirs, 0)


def test_strings_as_the_scala_binding_sends_them(
    mxnet_ref: MXNetReference, files70: dict[str, str]
) -> None:
    kwargs = dict(
        files70,
        batch_size="6",
        flat="True",
        shuffle="False",
        seed="3",
        num_parts="2",
        part_index="1",
        silent="1",
        prefetch_buffer="2",
        ctx="cpu",
        dtype="float32",
    )
    assert_same_run(recio_run(kwargs), mxnet_ref.call("io_mnist.run", kwargs, EPOCHS), 35)


def test_names_and_ignored_input_shape(mxnet_ref: MXNetReference, files70: dict[str, str]) -> None:
    kwargs = dict(files70, batch_size=5, data_name="x", label_name="y", input_shape=(784,))
    assert_same_run(recio_run(kwargs, 1), mxnet_ref.call("io_mnist.run", kwargs, 1), 0)


def test_other_image_sizes(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    files, _ = write_mnist(tmp_path, 20, rows=14, cols=9)
    for flat in (False, True):
        kwargs = dict(files, batch_size=4, flat=flat, shuffle=False, silent=True)
        assert_same_run(recio_run(kwargs, 1), mxnet_ref.call("io_mnist.run", kwargs, 1), 0)


def test_batch_larger_than_the_part(mxnet_ref: MXNetReference, files70: dict[str, str]) -> None:
    """MXNet reads a first batch in its constructor: with none, construction raises."""
    kwargs = dict(files70, batch_size=36, num_parts=2, part_index=1, silent=True)
    assert mxnet_ref.call("io_mnist.run", kwargs, 1) == {"ctor_stop": True}
    ours = recio_run(kwargs)
    assert ours["epochs"] == [[], [], []]
    assert ours["provide_data"] == [("data", (36, 1, 28, 28), "float32")]


@pytest.mark.parametrize(
    "bad",
    [
        {"batch_size": 0},
        {"batch_size": "5.5"},
        {"num_parts": 0},
        {"num_parts": 2, "part_index": 2},
        {"part_index": -1, "num_parts": 2},
        {"shuffle": "maybe"},
        {"seed": "x"},
        {"seed": 2**31},
        {"ctx": "tpu"},
    ],
)
def test_both_reject_bad_values(
    mxnet_ref: MXNetReference, files70: dict[str, str], bad: dict[str, Any]
) -> None:
    kwargs = dict(files70, silent=True, **bad)
    assert mxnet_ref.outcome("io_mnist.construct", kwargs).raised("MXNetError")
    with pytest.raises(mio.InvalidParameterError):
        mio.MNISTIter(**kwargs)


def test_mxnet_fails_on_other_dtypes_recio_converts(
    mxnet_ref: MXNetReference, files70: dict[str, str]
) -> None:
    for dtype in ("float16", "float64", "uint8"):
        kwargs = dict(files70, batch_size=5, shuffle=False, silent=True, dtype=dtype)
        outcome = mxnet_ref.outcome("io_mnist.first_batch", kwargs)
        assert "data type do not match" in outcome.message
    base = mxnet_ref.call("io_mnist.first_batch", dict(files70, batch_size=5, shuffle=False))
    half = next(mio.MNISTIter(**files70, batch_size=5, shuffle=False, dtype="float16"))
    assert half.data[0].dtype == np.float16
    np.testing.assert_array_equal(half.data[0].astype(np.float32), base[0][0])


def test_mxnet_reads_no_gzip_recio_does(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    """MXNet takes the gzip bytes for the header. With gzip's mtime field 0 it sees 0 images
    (so its constructor raises StopIteration); with a real mtime it sees a huge count and
    fails a check or crashes the process, so only mtime=0 is run here."""
    files, images = write_mnist(tmp_path, 30)
    packed = {}
    for key, path in files.items():
        packed[key] = path + ".gz"
        Path(packed[key]).write_bytes(gzip.compress(Path(path).read_bytes(), mtime=0))
    kwargs = dict(packed, batch_size=10, shuffle=False, silent=True)
    assert mxnet_ref.call("io_mnist.run", kwargs, 1) == {"ctor_stop": True}
    data = np.concatenate([b[0][0] for b in recio_run(kwargs, 1)["epochs"][0]])
    np.testing.assert_array_equal(data, images[:, None] / np.float32(256))


def test_mxnet_ignores_a_bad_magic_and_extra_bytes_recio_refuses(
    mxnet_ref: MXNetReference, tmp_path: Path
) -> None:
    files, _ = write_mnist(tmp_path, 30)
    image = Path(files["image"])
    good = image.read_bytes()
    for broken in (struct.pack(">I", 1234) + good[4:], good + bytes(784)):
        image.write_bytes(broken)
        kwargs = dict(files, batch_size=10, shuffle=False, silent=True)
        assert mxnet_ref.outcome("io_mnist.run", kwargs, 1).ok
        with pytest.raises(MNISTFormatError, match=str(image)):
            mio.MNISTIter(**kwargs)


def test_both_reject_a_truncated_file(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    files, _ = write_mnist(tmp_path, 30)
    image = Path(files["image"])
    image.write_bytes(image.read_bytes()[:-100])
    kwargs = dict(files, batch_size=10, silent=True)
    assert mxnet_ref.outcome("io_mnist.construct", kwargs).raised("MXNetError")
    with pytest.raises(MNISTFormatError, match="truncated file"):
        mio.MNISTIter(**kwargs)


def test_unknown_parameters(mxnet_ref: MXNetReference, files70: dict[str, str]) -> None:
    """MXNet ignores unknown names; recio names the closest valid one."""
    kwargs = dict(files70, batch_size=5, silent=True, shufle=False)
    assert mxnet_ref.outcome("io_mnist.construct", kwargs).ok
    with pytest.raises(mio.InvalidParameterError, match="'shuffle'"):
        mio.MNISTIter(**kwargs)

"""recio.io.CSVIter against MXNet 1.9.1's mx.io.CSVIter on the same CSV files.

Both sides read the same files for three epochs (each read to its end, then
reset()) and must give the same data, labels, pad, index and descriptors. With
round_batch off MXNet leaves stale rows in a padded batch (recio zeros), so
only the real rows and pad are compared there. The deliberate differences
(docs/notes/csv_iter.md) are pinned on both sides at the end of this file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recio import io as mio
from recio._io._csv_reader import CSVFormatError

from _reference import MXNetReference

pytestmark = pytest.mark.conformance

EPOCHS = 3
ROWS = 10


def desc(descs: list[Any]) -> list[tuple[str, tuple[int, ...], str, str]]:
    return [(d.name, tuple(d.shape), np.dtype(d.dtype).name, repr(d)) for d in descs]


def recio_run(kwargs: dict[str, Any], epochs: int = EPOCHS) -> dict[str, Any]:
    it = mio.CSVIter(**kwargs)
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
            data = [np.array(d) for d in b.data]
            batches.append((data, [np.array(lab) for lab in b.label], b.pad, b.index))
        out["epochs"].append(batches)
    it.close()
    return out


def assert_same_run(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Same descriptors and batches; a padded batch without round_batch: real rows only."""
    for key in ("provide_data", "provide_label", "batch_size"):
        assert ours[key] == theirs[key], key
    assert len(ours["epochs"]) == len(theirs["epochs"])
    for e, (mine, ref) in enumerate(zip(ours["epochs"], theirs["epochs"], strict=True)):
        assert [b[2] for b in mine] == [b[2] for b in ref], f"epoch {e}: pads"
        for n, (a, b) in enumerate(zip(mine, ref, strict=True)):
            real = len(a[0][0]) - a[2]
            for part in (0, 1):
                for x, y in zip(a[part], b[part], strict=True):
                    assert x.dtype == y.dtype and x.shape == y.shape, f"epoch {e} batch {n}"
                    np.testing.assert_array_equal(x[:real], y[:real], f"epoch {e} batch {n}")
            assert a[3].dtype == b[3].dtype == np.uint64
            np.testing.assert_array_equal(a[3][:real], b[3][:real], f"epoch {e} batch {n} index")


def write(path: Path, text: str) -> str:
    path.write_bytes(text.encode())
    return str(path)


def table(values: np.ndarray, fmt: str = "%g") -> str:
    return "".join(",".join(fmt % v for v in row) + "\n" for row in values)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """10 rows of 6 values (exact in float32 and int32) and 1- and 2-column labels."""
    where = tmp_path_factory.mktemp("csv")
    data = np.arange(ROWS * 6).reshape(ROWS, 6) * 3 - 7
    return {
        "data": write(where / "data.csv", table(data)),
        "half": write(where / "half.csv", table(data / 2)),
        "label": write(where / "label.csv", table(np.arange(ROWS)[:, None] + 100)),
        "label2": write(where / "label2.csv", table(np.arange(ROWS * 2).reshape(ROWS, 2) - 5)),
    }


def compare(ref: MXNetReference, kwargs: dict[str, Any], epochs: int = EPOCHS) -> dict[str, Any]:
    theirs = ref.call("io_csv.run", kwargs, epochs)
    ours = recio_run(kwargs, epochs)
    assert_same_run(ours, theirs)
    return ours


@pytest.mark.parametrize("batch_size", [1, 3, 5, 10, 12])
@pytest.mark.parametrize("round_batch", [True, False])
@pytest.mark.parametrize("with_label", [True, False])
def test_batches_epochs_pad_and_index(
    mxnet_ref: MXNetReference,
    files: dict[str, str],
    batch_size: int,
    round_batch: bool,
    with_label: bool,
) -> None:
    kwargs: dict[str, Any] = {
        "data_csv": files["half"],
        "data_shape": (6,),
        "batch_size": batch_size,
        "round_batch": round_batch,
    }
    if with_label:
        kwargs["label_csv"] = files["label"]
    ours = compare(mxnet_ref, kwargs)
    assert sum(len(e) for e in ours["epochs"]) >= EPOCHS - 1  # something was compared


@pytest.mark.parametrize(
    ("batch_size", "round_batch"), [(2, True), (3, True), (3, False), (6, True)]
)
def test_seed_example_and_an_empty_epoch(
    mxnet_ref: MXNetReference, tmp_path: Path, batch_size: int, round_batch: bool
) -> None:
    """Seed 003's four rows; batch 6 ends epoch 2 on the last row, so epoch 3 is empty."""
    path = write(tmp_path / "data.csv", "1,2,3\n2,3,4\n3,4,5\n4,5,6\n")
    kwargs = {
        "data_csv": path,
        "data_shape": (3,),
        "batch_size": batch_size,
        "round_batch": round_batch,
    }
    ours = compare(mxnet_ref, kwargs, epochs=5)
    if batch_size == 6:
        assert [len(e) for e in ours["epochs"]] == [1, 1, 0, 1, 1]


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
@pytest.mark.parametrize(
    ("data_shape", "label_shape"), [((6,), (1,)), ((2, 3), (2,)), ((3, 1, 2), (2, 1))]
)
def test_shapes_and_dtypes(
    mxnet_ref: MXNetReference,
    files: dict[str, str],
    dtype: str,
    data_shape: tuple[int, ...],
    label_shape: tuple[int, ...],
) -> None:
    label = files["label"] if label_shape == (1,) else files["label2"]
    kwargs = {
        "data_csv": files["data"],
        "data_shape": data_shape,
        "label_csv": label,
        "label_shape": label_shape,
        "batch_size": 4,
        "dtype": dtype,
    }
    compare(mxnet_ref, kwargs)


def test_parameters_as_strings_and_names(mxnet_ref: MXNetReference, files: dict[str, str]) -> None:
    kwargs = {
        "data_csv": files["data"],
        "data_shape": "(2,3)",
        "label_csv": files["label2"],
        "label_shape": "(2,)",
        "batch_size": "4",
        "round_batch": "False",
        "prefetch_buffer": "2",
        "dtype": "int32",
        "data_name": "x",
        "label_name": "y",
    }
    ours = compare(mxnet_ref, kwargs)
    assert ours["provide_data"][0][0] == "x" and ours["provide_label"][0][0] == "y"


def test_text_forms_mxnet_accepts(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    """Spaces, CRLF, blank lines, a trailing comma, no final newline, nan/inf, exponents."""
    text = " 1 , 2,3\r\n\n4e1,-5.5, .25,\n+7,8.,-inf\n\n9,nan,1E-3"
    kwargs = {"data_csv": write(tmp_path / "x.csv", text), "data_shape": (3,), "batch_size": 4}
    compare(mxnet_ref, kwargs, epochs=1)


def test_integer_dtypes_truncate_fractions(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    text = "1.9,-1.9,+7\n007,-0,2147483647\n"
    for dtype in ("int32", "int64"):
        kwargs = {
            "data_csv": write(tmp_path / "i.csv", text),
            "data_shape": (3,),
            "batch_size": 2,
            "dtype": dtype,
        }
        compare(mxnet_ref, kwargs, epochs=1)


def test_file_lists_directories_and_patterns(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    write(folder / "a.csv", "1,2\n3,4")  # no final newline: the file's end ends the line
    write(folder / "b.csv", "5,6\n")
    write(folder / "c.txt", "7,8\n")
    write(folder / "empty.csv", "")
    (folder / "sub").mkdir()
    write(folder / "sub" / "d.csv", "9,9\n")
    base = {"data_shape": (2,), "batch_size": 1, "round_batch": False}
    listed = f"{folder / 'b.csv'};{folder / 'a.csv'}"
    compare(mxnet_ref, {**base, "data_csv": listed}, epochs=1)
    pattern = str(folder) + r"/.*\.csv"  # MXNet's std::regex rejects [..] classes
    compare(mxnet_ref, {**base, "data_csv": pattern}, epochs=1)
    # A directory: MXNet takes the file system's listing order, recio sorts by name.
    theirs = mxnet_ref.call("io_csv.run", {**base, "data_csv": str(folder)}, 1)
    ours = recio_run({**base, "data_csv": str(folder)}, 1)
    rows = [[b[0][0].tolist() for b in run["epochs"][0]] for run in (ours, theirs)]
    assert sorted(rows[0]) == sorted(rows[1]) and len(rows[0]) == 4
    assert rows[0] == [[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("1,2,3\n4,5\n6,7,8\n", 2, "expected 3 values, got 2: '4,5'"),
        ("1,2,3\n4,5,6,7\n", 2, "expected 3 values, got 4"),
        ("1,2,3\n\n4,x,6\n", 3, "value 'x' in column 2 is not a valid float32"),
        ("a,b,c\n1,2,3\n", 1, "value 'a' in column 1"),
        ("1,2,3\r\n4,,6\r\n", 2, "value '' in column 2"),
    ],
)
def test_bad_rows_fail_on_both_sides(
    mxnet_ref: MXNetReference, tmp_path: Path, text: str, line: int, says: str
) -> None:
    path = write(tmp_path / "bad.csv", text)
    kwargs = {"data_csv": path, "data_shape": (3,), "batch_size": 1}
    assert mxnet_ref.call("io_csv.error_of", kwargs) is not None
    with pytest.raises(CSVFormatError, match=rf"bad\.csv, line {line}: {re.escape(says)}"):
        recio_run(kwargs, 1)


def test_fewer_label_rows_fail_on_both_sides(
    mxnet_ref: MXNetReference, files: dict[str, str], tmp_path: Path
) -> None:
    label = write(tmp_path / "short.csv", "1\n2\n3\n")
    kwargs = {"data_csv": files["data"], "data_shape": (6,), "label_csv": label, "batch_size": 2}
    assert "smaller than the number of rows" in mxnet_ref.call("io_csv.error_of", kwargs)
    with pytest.raises(ValueError, match="fewer rows than data_csv"):
        recio_run(kwargs, 1)


def test_missing_required_parameter_is_named(
    mxnet_ref: MXNetReference, files: dict[str, str]
) -> None:
    kwargs = {"data_csv": files["data"], "batch_size": 2}
    assert "data_shape" in mxnet_ref.call("io_csv.error_of", kwargs)
    with pytest.raises(mio.InvalidParameterError, match="data_shape"):
        mio.CSVIter(**kwargs)


@pytest.mark.parametrize("dtype", ["float64", "float16", "uint8", "int8"])
def test_unsupported_dtypes_fail_on_both_sides(
    mxnet_ref: MXNetReference, files: dict[str, str], dtype: str
) -> None:
    kwargs = {"data_csv": files["data"], "data_shape": (6,), "batch_size": 2, "dtype": dtype}
    assert "not supported for CSVIter" in mxnet_ref.call("io_csv.error_of", kwargs)
    with pytest.raises(mio.InvalidParameterError, match="dtype"):
        mio.CSVIter(**kwargs)


# -- deliberate differences, pinned on both sides --------------------------------------


def test_difference_float_parsing_is_correctly_rounded(
    mxnet_ref: MXNetReference, tmp_path: Path
) -> None:
    """MXNet's own float parser is off by ulps (and by 1000x for subnormals); recio is exact."""
    texts = ["8.21618143501158360031e-01", "8.2770259382044171e-08", "9.9504869861814491e-41"]
    path = write(tmp_path / "f.csv", "\n".join(texts) + "\n")
    kwargs = {"data_csv": path, "data_shape": (1,), "batch_size": 3}
    theirs = mxnet_ref.call("io_csv.run", kwargs, 1)["epochs"][0][0][0][0].ravel()
    ours = recio_run(kwargs, 1)["epochs"][0][0][0][0].ravel()
    exact = np.array([np.float32(t) for t in texts])  # these are not double-rounding cases
    np.testing.assert_array_equal(ours, exact)
    assert (theirs != exact).all()


def test_difference_more_label_rows_than_data_rows(
    mxnet_ref: MXNetReference, files: dict[str, str], tmp_path: Path
) -> None:
    label = write(tmp_path / "long.csv", "".join(f"{i}\n" for i in range(ROWS + 1)))
    kwargs = {"data_csv": files["data"], "data_shape": (6,), "label_csv": label, "batch_size": 5}
    assert mxnet_ref.call("io_csv.error_of", kwargs) is None  # MXNet ignores the extra labels
    with pytest.raises(ValueError, match="more rows than data_csv"):
        recio_run(kwargs, 1)


def test_difference_batch_larger_than_twice_the_data(
    mxnet_ref: MXNetReference, files: dict[str, str]
) -> None:
    kwargs = {"data_csv": files["data"], "data_shape": (6,), "batch_size": 2 * ROWS + 3}
    assert "bigger than batch size" in mxnet_ref.call("io_csv.error_of", kwargs)
    (batch,) = recio_run(kwargs, 1)["epochs"][0]  # recio cycles through the data
    assert batch[2] == ROWS + 3
    assert batch[3].tolist() == [*range(ROWS), *range(ROWS), 0, 1, 2]


def test_difference_label_shape_one_by_many(
    mxnet_ref: MXNetReference, files: dict[str, str]
) -> None:
    """label_shape (1, 2): MXNet returns (batch,) holding the first batch values, recio all."""
    kwargs = {
        "data_csv": files["data"],
        "data_shape": (6,),
        "label_csv": files["label2"],
        "label_shape": (1, 2),
        "batch_size": 4,
    }
    theirs = mxnet_ref.call("io_csv.run", kwargs, 1)
    ours = recio_run(kwargs, 1)
    assert theirs["epochs"][0][0][1][0].shape == (4,)
    assert ours["epochs"][0][0][1][0].shape == (4, 1, 2)
    assert ours["provide_label"][0][1] == (4, 1, 2)


def test_difference_integer_syntax(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    """MXNet reads 010 as octal, 1e3 as 1 and wraps int32; recio reads decimal numbers."""
    kwargs = {
        "data_csv": write(tmp_path / "i.csv", "010,1e3\n"),
        "data_shape": (2,),
        "batch_size": 1,
        "dtype": "int32",
    }
    theirs = mxnet_ref.call("io_csv.run", kwargs, 1)["epochs"][0][0][0][0]
    assert theirs.tolist() == [[8, 1]]
    assert recio_run(kwargs, 1)["epochs"][0][0][0][0].tolist() == [[10, 1000]]
    kwargs["data_csv"] = write(tmp_path / "big.csv", "2147483648,1\n")
    assert mxnet_ref.call("io_csv.run", kwargs, 1)["epochs"][0][0][0][0].tolist() == [[-(2**31), 1]]
    with pytest.raises(CSVFormatError, match="int32 range"):
        recio_run(kwargs, 1)


def test_difference_dtype_none_and_empty_data(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", "1,2\n")
    kwargs = {"data_csv": path, "data_shape": (2,), "batch_size": 1, "dtype": None}
    assert "None is not supported" in mxnet_ref.call("io_csv.error_of", kwargs)
    assert recio_run(kwargs, 1)["provide_data"][0][2] == "float32"
    blank = {"data_csv": write(tmp_path / "blank.csv", "\n\n"), "data_shape": (2,), "batch_size": 1}
    assert mxnet_ref.call("io_csv.error_of", blank) == "StopIteration"
    with pytest.raises(ValueError, match="holds no rows"):
        recio_run(blank, 1)

"""recio.io.CSVIter without MXNet: epochs, resume, errors, threads, memory, parsing.

What MXNet itself does is checked in tests/conformance/test_csv_iter_conformance.py;
these tests pin recio's own contract (exact resume, file and line in errors,
no thread left behind, bounded memory) and the parser's round trips.
"""

from __future__ import annotations

import gc
import math
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recio import io as mio
from recio._io._csv_reader import CSVFormatError
from recio.nd import NDArray

from _iterchecks import assert_resumes_exactly, batch_arrays

SEED_ROWS = "1,2,3\n2,3,4\n3,4,5\n4,5,6\n"


def write(path: Path, text: str | bytes) -> str:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def table(values: Any, fmt: str = "%d") -> str:
    return "".join(",".join(fmt % v for v in np.atleast_1d(row)) + "\n" for row in values)


def epochs(it: Any, count: int) -> list[list[tuple[list[list[float]], int, list[int]]]]:
    out = []
    for e in range(count):
        if e:
            it.reset()
        out.append([(b.data[0].asnumpy().tolist(), b.pad, b.index.tolist()) for b in it])
    return out


def csv_threads() -> set[threading.Thread]:
    """CSVIter's live threads (after collecting iterators other tests dropped)."""
    gc.collect()
    return {t for t in threading.enumerate() if t.name.startswith("recio-CSVIter")}


@pytest.fixture
def rows10(tmp_path: Path) -> dict[str, str]:
    data = np.arange(30).reshape(10, 3)
    return {
        "data_csv": write(tmp_path / "d.csv", table(data)),
        "label_csv": write(tmp_path / "l.csv", table(np.arange(10) * 10)),
    }


# -- MXNet's epoch rules (seed 003) ------------------------------------------------------


def test_seed_round_batch_example(tmp_path: Path) -> None:
    it = mio.CSVIter(data_csv=write(tmp_path / "d.csv", SEED_ROWS), data_shape=(3,), batch_size=3)
    first, second = epochs(it, 2)
    assert first == [
        ([[1, 2, 3], [2, 3, 4], [3, 4, 5]], 0, [0, 1, 2]),
        ([[4, 5, 6], [1, 2, 3], [2, 3, 4]], 2, [3, 0, 1]),
    ]
    assert second == [([[3, 4, 5], [4, 5, 6], [1, 2, 3]], 1, [2, 3, 0])]
    it.close()


def test_seed_without_round_batch_every_epoch_starts_over(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", SEED_ROWS)
    it = mio.CSVIter(data_csv=path, data_shape=(3,), batch_size=3, round_batch=False)
    for epoch in epochs(it, 3):
        assert epoch == [
            ([[1, 2, 3], [2, 3, 4], [3, 4, 5]], 0, [0, 1, 2]),
            ([[4, 5, 6], [0, 0, 0], [0, 0, 0]], 2, [3, 0, 0]),  # recio zeros the padding
        ]
    it.close()


def test_reset_before_the_round_batch_is_taken_rewinds(tmp_path: Path) -> None:
    """The state moves with the batches taken, not with what the prefetcher read ahead."""
    path = write(tmp_path / "d.csv", SEED_ROWS)
    it = mio.CSVIter(data_csv=path, data_shape=(3,), batch_size=3)
    it.reset()  # before anything: nothing to continue from
    assert next(it).index.tolist() == [0, 1, 2]
    it.reset()  # mid-epoch, the round batch not taken yet: start over
    assert [b.index.tolist() for b in it] == [[0, 1, 2], [3, 0, 1]]
    it.close()


def test_batch_larger_than_the_data_cycles(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", "1\n2\n")
    it = mio.CSVIter(data_csv=path, data_shape=(1,), batch_size=5)
    (batch,) = list(it)
    assert batch.data[0].asnumpy().ravel().tolist() == [1, 2, 1, 2, 1]
    assert batch.pad == 3 and batch.index.tolist() == [0, 1, 0, 1, 0]
    it.close()


def test_surface(rows10: dict[str, str]) -> None:
    it = mio.CSVIter(**rows10, data_shape=(1, 3), batch_size=4, data_name="x", label_name="y")
    assert repr(it.provide_data) == "[DataDesc[x,(4, 1, 3),<class 'numpy.float32'>,NCHW]]"
    assert repr(it.provide_label) == "[DataDesc[y,(4,),<class 'numpy.float32'>,NCHW]]"
    assert it.batch_size == 4
    assert it.iter_next()
    assert it.getdata()[0].shape == (4, 1, 3) and it.getlabel()[0].tolist() == [0, 10, 20, 30]
    assert it.getpad() == 0 and it.getindex().dtype == np.uint64
    assert isinstance(it.getdata()[0], NDArray)
    it.close()


def test_batches_kept_by_the_caller_stay_intact(rows10: dict[str, str]) -> None:
    it = mio.CSVIter(**rows10, data_shape=(3,), batch_size=3, block_bytes=16)
    kept = [b.data[0] for b in it]
    assert not list(it)  # the epoch is over until reset()
    it.reset()
    kept += [b.data[0] for b in it]  # starts at row 2, after the rows the round batch used
    firsts = [int(k[0, 0]) for k in kept]
    assert firsts == [0, 9, 18, 27, 6, 15, 24]
    it.close()


# -- parameters ---------------------------------------------------------------------------


def test_parameters_typed_or_strings(rows10: dict[str, str]) -> None:
    typed = mio.CSVIter(**rows10, data_shape=(3,), batch_size=4, round_batch=False, dtype="int64")
    strings = mio.CSVIter(
        **rows10, data_shape="(3,)", batch_size="4", round_batch="0", dtype="int64"
    )
    assert epochs(typed, 1) == epochs(strings, 1)
    assert typed.provide_data[0].dtype is np.int64
    null = mio.CSVIter(data_csv=rows10["data_csv"], label_csv="NULL", data_shape=3, batch_size=2)
    assert next(null).label[0].tolist() == [0, 0]
    for it in (typed, strings, null):
        it.close()


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"data_shape": (3,), "batch_size": 2, "round_bach": False}, "'round_batch'"),
        ({"batch_size": 2}, "'data_shape'"),
        ({"data_shape": (3,), "batch_size": 0}, "batch_size must be at least 1"),
        ({"data_shape": (3, 0), "batch_size": 2}, "every dimension"),
        ({"data_shape": (3,), "batch_size": 2, "dtype": "float64"}, "dtype"),
        ({"data_shape": (3,), "batch_size": 2, "prefetch_buffer": -1}, "prefetch_buffer"),
        ({"data_shape": (3,), "batch_size": 2, "round_batch": "maybe"}, "round_batch"),
    ],
)
def test_bad_parameters(rows10: dict[str, str], kwargs: dict[str, Any], says: str) -> None:
    with pytest.raises(mio.InvalidParameterError, match=says):
        mio.CSVIter(data_csv=rows10["data_csv"], **kwargs)


def test_keyword_arguments_only_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="keyword"):
        mio.CSVIter("x.csv")
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        mio.CSVIter(data_csv=str(tmp_path / "nope.csv"), data_shape=(1,), batch_size=1)


# -- checkpointing -----------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 11, 23])
@pytest.mark.parametrize("round_batch", [True, False])
def test_resume_is_exact(rows10: dict[str, str], batch_size: int, round_batch: bool) -> None:
    def make() -> Any:
        return mio.CSVIter(
            **rows10,
            data_shape=(3,),
            batch_size=batch_size,
            round_batch=round_batch,
            block_bytes=13,  # many blocks: positions inside and at the edges of blocks
            prefetch_buffer=2 if batch_size % 2 else 0,
        )

    assert_resumes_exactly(make, epochs=3)


def test_resume_across_files_and_without_labels(tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(3):
        write(folder / f"{i}.csv", table(np.arange(7) + 10 * i))
    assert_resumes_exactly(
        lambda: mio.CSVIter(data_csv=str(folder), data_shape=(1,), batch_size=5, block_bytes=9)
    )


def test_state_of_other_files_is_refused(rows10: dict[str, str], tmp_path: Path) -> None:
    it = mio.CSVIter(data_csv=rows10["data_csv"], data_shape=(3,), batch_size=3)
    next(it)
    state = it.state_dict()
    other = mio.CSVIter(
        data_csv=write(tmp_path / "o.csv", "1,2,3\n"), data_shape=(3,), batch_size=3
    )
    with pytest.raises(ValueError, match="saved over files"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="version"):
        it.load_state_dict({**state, "version": 99})
    it.close()
    other.close()


# -- errors name the file and the line ----------------------------------------------------


@pytest.mark.parametrize("prefetch_buffer", [0, 3])
def test_bad_line_deep_in_the_file(tmp_path: Path, prefetch_buffer: int) -> None:
    lines = [f"{i},{i}" for i in range(500)]
    lines[377] = "377,oops"
    path = write(tmp_path / "d.csv", "\n".join(lines) + "\n")
    it = mio.CSVIter(
        data_csv=path,
        data_shape=(2,),
        batch_size=10,
        block_bytes=256,
        prefetch_buffer=prefetch_buffer,
    )
    got = []
    with pytest.raises(CSVFormatError, match=r"d\.csv, line 378: value 'oops' in column 2") as e:
        got.extend(b.index[0] for b in it)
    assert e.value.line == 378 and e.value.path == path
    assert got == list(range(0, 370, 10))  # every batch before the bad line came out
    with pytest.raises(CSVFormatError):  # asked again, it fails again: no hang
        next(it)
    it.close()


def test_bad_label_line_names_the_label_file(tmp_path: Path) -> None:
    data = write(tmp_path / "d.csv", table(np.arange(6)))
    label = write(tmp_path / "l.csv", "1\n2\n3\n4,4\n5\n6\n")
    it = mio.CSVIter(data_csv=data, label_csv=label, data_shape=(1,), batch_size=2)
    with pytest.raises(CSVFormatError, match=r"l\.csv, line 4: expected 1 values, got 2"):
        list(it)
    it.close()


def test_line_numbers_count_per_file(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", "1\n2\n3")
    write(tmp_path / "b.csv", "4\n\n5\n-\n")
    it = mio.CSVIter(data_csv=str(tmp_path), data_shape=(1,), batch_size=1)
    with pytest.raises(CSVFormatError, match=r"b\.csv, line 4: value '-'"):
        list(it)
    it.close()


def test_integer_out_of_range_and_not_integers(tmp_path: Path) -> None:
    kwargs: dict[str, Any] = {"data_shape": (1,), "batch_size": 1, "dtype": "int32"}
    path = write(tmp_path / "i.csv", "1\n2147483648\n")
    with pytest.raises(CSVFormatError, match=r"line 2: .*int32 range"):
        list(mio.CSVIter(data_csv=path, **kwargs))
    path = write(tmp_path / "n.csv", "1\n2\nnan\n")
    with pytest.raises(CSVFormatError, match=r"line 3: value 'nan' in column 1 is not a valid"):
        list(mio.CSVIter(data_csv=path, **kwargs))
    kwargs["dtype"] = "int64"
    path = write(tmp_path / "big.csv", "9.2e18\n-1.9999999999999999999\n9223372036854775808.5\n")
    it = mio.CSVIter(data_csv=path, **kwargs)
    assert [int(next(it).data[0][0, 0]) for _ in range(2)] == [9_200_000_000_000_000_000, -1]
    with pytest.raises(CSVFormatError, match=r"line 3: .*int64 range"):
        next(it)
    it.close()
    path = write(tmp_path / "ok.csv", "9223372036854775807\n-9223372036854775808\n")
    assert next(mio.CSVIter(data_csv=path, **kwargs)).data[0].tolist() == [[2**63 - 1]]


def test_a_line_longer_than_a_block(tmp_path: Path) -> None:
    values = np.arange(300)
    path = write(tmp_path / "d.csv", table([values, values + 1, values + 2]))
    it = mio.CSVIter(data_csv=path, data_shape=(300,), batch_size=2, block_bytes=64)
    batches = [b.data[0].asnumpy() for b in it]
    np.testing.assert_array_equal(batches[0], [values, values + 1])
    np.testing.assert_array_equal(batches[1], [values + 2, values])
    it.close()


# -- threads ------------------------------------------------------------------------------


def test_close_leaves_no_thread_and_is_idempotent(rows10: dict[str, str]) -> None:
    before = csv_threads()
    it = mio.CSVIter(**rows10, data_shape=(3,), batch_size=2, prefetch_buffer=1)
    next(it)
    assert csv_threads() - before  # a parse thread
    it.close()
    it.close()
    assert not csv_threads() - before
    with pytest.raises(ValueError, match="closed"):
        next(it)
    with mio.CSVIter(**rows10, data_shape=(3,), batch_size=2) as ctx:
        next(ctx)
    assert not csv_threads() - before


def test_a_dropped_iterator_stops_its_threads(rows10: dict[str, str]) -> None:
    before = csv_threads()
    it = mio.CSVIter(**rows10, data_shape=(3,), batch_size=1, prefetch_buffer=1, block_bytes=8)
    next(it)
    del it
    assert not csv_threads() - before


def test_reset_while_prefetching_many_times(rows10: dict[str, str]) -> None:
    it = mio.CSVIter(**rows10, data_shape=(3,), batch_size=1, block_bytes=8, round_batch=False)
    for _ in range(20):
        assert next(it).index.tolist() == [0]
        it.reset()
    assert [int(b.index[0]) for b in it] == list(range(10))
    it.close()


# -- bounded memory -------------------------------------------------------------------------


def test_memory_stays_bounded_on_a_file_larger_than_the_window(tmp_path: Path) -> None:
    """Python-side (tracemalloc: numpy, bytes) and pyarrow allocations stay near the window."""
    block = 64 << 10
    row = ",".join(str(1000 + i) for i in range(16)) + "\n"
    text = row * (4 * 16 * block // len(row))  # 16 windows of 4 blocks: far beyond 4x
    path = write(tmp_path / "big.csv", text)
    it = mio.CSVIter(
        data_csv=path, data_shape=(16,), batch_size=64, block_bytes=block, prefetch_buffer=2
    )
    gc.collect()
    arrow_base = pa.total_allocated_bytes()
    arrow_peak, rows = 0, 0
    tracemalloc.start()
    try:
        for batch in it:
            rows += len(batch.data[0]) - batch.pad
            arrow_peak = max(arrow_peak, pa.total_allocated_bytes() - arrow_base)
            del batch
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        it.close()
    assert rows == len(text) // len(row)
    window = 8 * block  # blocks in flight and in hand, their bytes and their parsed rows
    assert python_peak < window, (python_peak, len(text))
    assert arrow_peak < window, (arrow_peak, len(text))
    assert len(text) >= 4 * window


def test_the_mapped_file_stays_a_few_blocks_resident(tmp_path: Path) -> None:
    """CSV files are mapped (mmap); the pages of blocks parsed long ago are unmapped."""
    row = ",".join(str(1000 + i) for i in range(16)) + "\n"
    path = write(tmp_path / "big.csv", row * ((32 << 20) // len(row)))  # 32 MiB
    peak = 0
    with mio.CSVIter(data_csv=path, data_shape=(16,), batch_size=256) as it:
        for n, _ in enumerate(it):
            if n % 64 == 0:
                peak = max(peak, resident_bytes_of(path))
    # 1 MiB blocks, 4 parsed ahead; the kernel maps file pages in folios of up to 2 MiB
    assert 0 < peak < (12 << 20), peak


def resident_bytes_of(path: str) -> int:
    """Resident bytes of this process's mappings of `path` (Linux /proc/self/smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
                inside = fields[-1] == path
            elif inside and fields[0] == "Rss:":
                total += int(fields[1]) * 1024
    return total


# -- the parser: round trips --------------------------------------------------------------

FIXTURE = HealthCheck.function_scoped_fixture  # each example overwrites the same tmp file
float32s = st.floats(width=32, allow_nan=False, allow_infinity=False)
formats = st.sampled_from(["repr", "%.9g", "%.8e", "%.9E"])
spaces = st.sampled_from(["", " ", "  ", "\t"])


def format_value(value: float, fmt: str) -> str:
    return repr(float(value)) if fmt == "repr" else fmt % value


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.integers(1, 6).flatmap(
        lambda width: st.lists(st.lists(float32s, min_size=width, max_size=width), min_size=1)
    ),
    fmt=formats,
    pad=st.tuples(spaces, spaces),
    newline=st.sampled_from(["\n", "\r\n"]),
    final_newline=st.booleans(),
    blank_every=st.integers(0, 3),
)
def test_float_text_round_trips(
    tmp_path: Path,
    rows: list[list[float]],
    fmt: str,
    pad: tuple[str, str],
    newline: str,
    final_newline: bool,
    blank_every: int,
) -> None:
    lines = []
    for n, row in enumerate(rows):
        if blank_every and n % blank_every == 0:
            lines.append("")
        lines.append(",".join(pad[0] + format_value(v, fmt) + pad[1] for v in row))
    text = newline.join(lines) + (newline if final_newline else "")
    width = len(rows[0])
    it = mio.CSVIter(
        data_csv=write(tmp_path / "h.csv", text),
        data_shape=(width,),
        batch_size=len(rows),
        block_bytes=41,
        prefetch_buffer=0,
    )
    (batch,) = list(it)
    np.testing.assert_array_equal(batch.data[0].asnumpy(), np.array(rows, np.float32))
    it.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=20),
    plus=st.booleans(),
    zeros=st.integers(0, 2),
    suffix=st.sampled_from(["", "", ".", ".0", ".99", "e0", "0e-1", ".5E+0"]),
)
def test_int64_text_round_trips(
    tmp_path: Path, values: list[int], plus: bool, zeros: int, suffix: str
) -> None:
    """Exact whatever the spelling: 7, +007, 7.0, 7.99 (truncated), 70e-1 are all 7."""

    def text(v: int) -> str:
        sign = "-" if v < 0 else ("+" if plus else "")
        return sign + "0" * zeros + str(abs(v)) + suffix

    path = write(tmp_path / "i.csv", "".join(text(v) + "\n" for v in values))
    it = mio.CSVIter(data_csv=path, data_shape=(1,), batch_size=len(values), dtype="int64")
    assert next(it).data[0].asnumpy().ravel().tolist() == values
    it.close()


def test_special_floats(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", "nan,inf,-inf,1e-50,1e39,-0\n")
    it = mio.CSVIter(data_csv=path, data_shape=(6,), batch_size=1)
    got = next(it).data[0].asnumpy()[0]
    assert math.isnan(got[0]) and got[1:3].tolist() == [math.inf, -math.inf]
    assert got[3:].tolist() == [0.0, math.inf, 0.0] and math.copysign(1, got[5]) == -1
    it.close()


def test_batch_arrays_helper_sees_index(rows10: dict[str, str]) -> None:
    it = mio.CSVIter(**rows10, data_shape=(3,), batch_size=4)
    _, label, pad, index = batch_arrays(next(it))
    assert index.tolist() == [0, 1, 2, 3] and label[0].tolist() == [0, 10, 20, 30] and pad == 0
    it.close()

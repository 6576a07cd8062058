"""recio._csvparse (CSVIter's C fast path) against the pyarrow path it stands in for.

The contract: on any text the native parser either declines (None) or returns
exactly, bit for bit, what the general path (pyarrow + recio's slow paths)
returns; it never accepts a block the general path rejects. Values are
correctly rounded to float32 (pyarrow's fast_float is the oracle, and numpy's
loadtxt for the benchmark-like case).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recio._io import _csv_parse
from recio._io._csv_parse import BadBlockError, BlockParser

_csvparse = pytest.importorskip("recio._csvparse", reason="built without a C compiler")


def general(text: bytes, width: int, dtype: Any) -> np.ndarray | None:
    """What the general path gives: the rows, or None where it rejects the text."""
    parser = BlockParser(width, np.dtype(dtype))
    enabled, _csv_parse.native_enabled = _csv_parse.native_enabled, False
    try:
        return parser.parse(text)
    except BadBlockError:
        return None
    finally:
        _csv_parse.native_enabled = enabled


def native(text: bytes, width: int, dtype: Any) -> np.ndarray | None:
    """What recio._csvparse gives alone: the rows, or None where it declines."""
    integers = np.dtype(dtype).kind == "i"
    out = np.empty((_csvparse.lines(text), width), np.int64 if integers else np.float32)
    rows = _csvparse.parse(text, width, integers, out)
    return None if rows is None else out[:rows]


def assert_agrees(text: bytes, width: int, dtype: Any = np.float32) -> np.ndarray | None:
    """The native result, after checking it against the general path's (module docstring)."""
    fast = native(text, width, dtype)
    if fast is None:
        return None
    slow = general(text, width, dtype)
    assert slow is not None, f"native accepted what the general path rejects: {text!r}"
    assert fast.shape == slow.shape, text
    bits = np.int64 if fast.dtype == np.int64 else np.uint32
    np.testing.assert_array_equal(fast.view(bits), slow.astype(fast.dtype).view(bits), str(text))
    return fast


def csv_text(values: np.ndarray, fmt: str) -> bytes:
    return "".join(",".join(fmt % v for v in row) + "\n" for row in values).encode()


# -- whole blocks of typical data ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["%.7g", "%.9g", "%.6f", "%.3e", "%.17g", "%.12f", "%g"])
def test_formats_parse_natively_and_exactly(fmt: str) -> None:
    rng = np.random.default_rng(7)
    values = (rng.standard_normal((3000, 8)) * 10.0 ** rng.integers(-8, 8, (3000, 8))).astype(
        np.float32
    )
    text = csv_text(values, fmt)
    got = assert_agrees(text, 8)
    if fmt in ("%.7g", "%.9g", "%.6f", "%.3e", "%g"):  # what recio must take on its fast path
        assert got is not None
        expected = np.loadtxt(text.decode().splitlines(), delimiter=",", dtype=np.float32)
        np.testing.assert_array_equal(got.view(np.uint32), expected.view(np.uint32))


def near_midpoints(count: int, seed: int) -> Iterator[str]:
    """Decimal strings within a few double ulps of a float32 rounding midpoint."""
    rng = np.random.default_rng(seed)
    low = rng.integers(1, 0x7F000000, count).astype(np.uint32).view(np.float32)
    low = low[np.isfinite(low) & (np.abs(low) > 1e-6) & (np.abs(low) < 1e6)]
    high = np.nextafter(low, np.float32(np.inf))
    mid = (low.astype(np.float64) + high.astype(np.float64)) / 2
    for value, digits in zip(mid, rng.integers(8, 16, len(mid)), strict=False):
        yield f"{value:.{digits}g}"


def test_values_next_to_float32_midpoints_round_correctly() -> None:
    accepted = total = 0
    for token in near_midpoints(20000, seed=3):
        total += 1
        accepted += assert_agrees(f"{token},{token}\n".encode(), 2) is not None
    # 8-15 digits of values in 1e-6..1e6: the fast paths and the divide take nearly all
    assert accepted >= 0.99 * total, (accepted, total)


def test_exact_ties_round_to_even() -> None:
    # 16777217 = 2^24 + 1 lies halfway between the floats 2^24 and 2^24 + 2
    for token, expected in [("16777217", 16777216.0), ("16777219", 16777220.0)]:
        got = assert_agrees(f"{token}\n".encode(), 1)
        assert got is not None and float(got[0, 0]) == expected
    got = assert_agrees(b"1.6777217e7,0.16777217e8\n", 2)
    assert got is not None and got.tolist() == [[16777216.0, 16777216.0]]


# -- the grammar's corners ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        (b"1,2\n3,4\n", 2, [[1, 2], [3, 4]]),
        (b"1,2\r\n3,4", 2, [[1, 2], [3, 4]]),
        (b"\n1,2\n\n\r\n3,4\n\n", 2, [[1, 2], [3, 4]]),
        (b" 1 ,\t2\t\n", 2, [[1, 2]]),
        (b"1,2,\n3,4, \n", 2, [[1, 2], [3, 4]]),
        (b"-0,.5,5.,-.25e1\n", 4, [[-0.0, 0.5, 5.0, -2.5]]),
        (b"1e3,1E-3,1e+3,007.50\n", 4, [[1000, 0.001, 1000, 7.5]]),
        (b"0.00000000000000012345\n", 1, [[1.2345e-16]]),
    ],
)
def test_the_fast_grammar(text: bytes, width: int, expected: list[list[float]]) -> None:
    got = assert_agrees(text, width)
    assert got is not None
    np.testing.assert_array_equal(got, np.array(expected, np.float32))
    np.testing.assert_array_equal(np.signbit(got), np.signbit(np.array(expected)))  # -0 too


@pytest.mark.parametrize(
    "text",
    [
        b"nan\n",
        b"inf\n",
        b"+1\n",
        b"1,,2\n",
        b"1\r2\n",
        b"1,2,3\n",
        b"1\n",
        b"1,2,,\n",
        b"1 2,3\n",
        b"1e,2\n",
        b"-,2\n",
        b"1.2.3,4\n",
        b"12345678901234567890,1\n",
        b"1e99999,1\n",
        b"1e40,1\n",
        b"0x10,1\n",
    ],
)
def test_what_it_declines(text: bytes) -> None:
    assert native(text, 2, np.float32) is None
    assert_agrees(text, 2)


def test_integers() -> None:
    text = b"1,-2\n9223372036854775807,-9223372036854775808\n007,-0\n"
    got = assert_agrees(text, 2, np.int64)
    assert got is not None and got.tolist() == [[1, -2], [2**63 - 1, -(2**63)], [7, 0]]
    for declined in (b"1.5,2\n", b"+1,2\n", b"9223372036854775808,1\n", b"1e3,1\n"):
        assert native(declined, 2, np.int64) is None


def test_lines_counts_room_for_every_row() -> None:
    assert _csvparse.lines(b"") == 0
    assert _csvparse.lines(b"1") == 1
    assert _csvparse.lines(b"1\n") == 1
    assert _csvparse.lines(b"1\n2") == 2
    assert _csvparse.lines(b"\n" * 1000 + b"x") == 1001


def test_too_small_an_output_declines_instead_of_overflowing() -> None:
    out = np.empty((1, 2), np.float32)
    assert _csvparse.parse(b"1,2\n3,4\n", 2, False, out) is None
    with pytest.raises(ValueError, match="width"):
        _csvparse.parse(b"1\n", 0, False, out)


# -- property: anything at all -----------------------------------------------------------------

junk = st.text(alphabet="0123456789.-+eE, \t\r\nnaif", max_size=80)


@settings(max_examples=400, deadline=None)
@given(text=junk, width=st.integers(1, 3), integers=st.booleans())
def test_any_text_is_declined_or_parsed_as_the_general_path_does(
    text: str, width: int, integers: bool
) -> None:
    assert_agrees(text.encode(), width, np.int64 if integers else np.float32)


@settings(max_examples=300, deadline=None)
@given(
    mantissa=st.integers(0, 2**53 - 1),
    exponent=st.integers(-30, 30),
    negative=st.booleans(),
    form=st.sampled_from(["{m}e{e}", "{point}", "{point}e{e}"]),
)
def test_any_decimal_in_range_rounds_as_pyarrow(
    mantissa: int, exponent: int, negative: bool, form: str
) -> None:
    digits = str(mantissa)
    cut = len(digits) // 2
    point = f"{digits[:cut]}.{digits[cut:]}"
    token = ("-" if negative else "") + form.format(m=digits, e=exponent, point=point)
    # enough room after the value for the 8-byte reads of the fast path, and without it
    for text in (f"{token}\n".encode(), f"{token},0\n{token},1\n".encode()):
        assert_agrees(text, text.count(b",") // text.count(b"\n") + 1)


# -- through CSVIter: the same batches and errors either way -----------------------------------


def iterate(path: str, **kwargs: Any) -> list[np.ndarray]:
    from recio import io as mio

    with mio.CSVIter(data_csv=path, data_shape=(3,), batch_size=4, block_bytes=64, **kwargs) as it:
        return [batch.data[0].asnumpy().copy() for batch in it]


@pytest.mark.parametrize("native_on", [True, False])
def test_csviter_gives_the_same_batches_and_errors_with_or_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, native_on: bool
) -> None:
    lines = [f"{i}.5,{-i}e-3,{i * 7 % 13}" for i in range(40)]
    lines[17] = "nan,inf,-inf"  # a block the native parser declines
    lines[25] = "1,2,3,"  # a trailing comma: the native grammar takes it
    good = tmp_path / "good.csv"
    good.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(_csv_parse, "native_enabled", native_on)
    got = np.concatenate(iterate(str(good)))
    monkeypatch.setattr(_csv_parse, "native_enabled", not native_on)
    expected = np.concatenate(iterate(str(good)))
    np.testing.assert_array_equal(got, expected)
    assert np.isnan(got[17, 0]) and got[25].tolist() == [1, 2, 3]

    lines[33] = "1,x,3"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    messages = []
    for enabled in (native_on, not native_on):
        monkeypatch.setattr(_csv_parse, "native_enabled", enabled)
        with pytest.raises(ValueError, match="line 34") as raised:
            iterate(str(bad))
        messages.append(str(raised.value))
    assert messages[0] == messages[1]

"""The .idx text format: lines MXNet writes parse back to the same keys and offsets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recio._errors import RecordIOError
from recio._index import format_line, parse_index

offsets = st.integers(0, 2**63)
text_keys = st.text(
    st.characters(blacklist_categories=["Cc", "Cs", "Zs", "Zl", "Zp"]), min_size=1, max_size=12
)


@given(st.dictionaries(st.integers(-(2**63), 2**63), offsets))
def test_int_keys_round_trip(entries: dict[int, int]) -> None:
    text = "".join(format_line(k, v) for k, v in entries.items())
    assert parse_index(text, "x.idx", int) == (list(entries), entries)


@given(st.dictionaries(text_keys, offsets))
def test_str_keys_round_trip(entries: dict[str, int]) -> None:
    text = "".join(format_line(k, v) for k, v in entries.items())
    assert parse_index(text, "x.idx", str) == (list(entries), entries)


def test_duplicate_keys_keep_the_last_offset_as_mxnet() -> None:
    keys, idx = parse_index("1\t0\n1\t16\n", "x.idx", int)
    assert keys == [1, 1]
    assert idx == {1: 16}


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_a_located_error(text: str) -> None:
    try:
        keys, idx = parse_index(text, "x.idx", int)
    except RecordIOError as e:
        message = str(e)
        keys, idx = [], {}
    else:
        message = "x.idx: line "
    assert message.startswith("x.idx: line ")
    assert set(keys) == set(idx)
    assert all(v >= 0 for v in idx.values())


def test_extra_fields_are_ignored_as_mxnet() -> None:
    assert parse_index("3\t16\textra\n", "x.idx", int) == ([3], {3: 16})


def test_message_names_file_and_line() -> None:
    with pytest.raises(RecordIOError, match=r"^x\.idx: line 3: expected 'key<TAB>offset'"):
        parse_index("1\t0\n2\t4\noops\n", "x.idx", int)

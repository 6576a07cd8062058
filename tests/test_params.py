"""MXNet's parameter handling: typed or string values, unknown and missing names."""

from __future__ import annotations

import dataclasses
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recio._params import InvalidParameterError, Shape, parse_params, parse_shape


@dataclasses.dataclass(slots=True, kw_only=True)
class Options:
    data_shape: Shape
    batch_size: int
    shuffle: bool = False
    scale: float = 1.0
    path: str = ""
    seed: int | None = None
    mode: Literal["pad", "discard"] = "pad"


def test_typed_values_pass_through() -> None:
    got = parse_params(Options, "It", {"data_shape": (3, 28, 28), "batch_size": 100})
    assert got == Options(data_shape=(3, 28, 28), batch_size=100)


def test_string_values_as_the_scala_binding_sends_them() -> None:
    got = parse_params(
        Options,
        "It",
        {
            "data_shape": "(3,28,28)",
            "batch_size": "100",
            "shuffle": "True",
            "scale": "0.00390625",
            "seed": "None",
            "mode": "discard",
        },
    )
    assert got == Options(
        data_shape=(3, 28, 28), batch_size=100, shuffle=True, scale=1 / 256, mode="discard"
    )
    assert parse_params(Options, "It", {"data_shape": "[784]", "batch_size": 1}).data_shape == (
        784,
    )


def test_missing_required_parameter_is_named() -> None:
    with pytest.raises(InvalidParameterError, match="It: required parameter 'data_shape'"):
        parse_params(Options, "It", {"batch_size": 10})


def test_unknown_parameter_lists_valid_names_and_closest_match() -> None:
    with pytest.raises(InvalidParameterError) as e:
        parse_params(Options, "It", {"data_shape": (1,), "batch_size": 1, "shufle": True})
    message = str(e.value)
    assert "unknown parameter 'shufle'. Did you mean 'shuffle'?" in message
    assert "Valid parameters: batch_size, data_shape, mode, path, scale, seed, shuffle" in message


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"batch_size": "ten"}, "batch_size: expected int, got 'ten'"),
        ({"batch_size": 2.5}, "batch_size: expected an integer, got 2.5"),
        ({"shuffle": "maybe"}, "shuffle: expected True or False"),
        ({"mode": "roll"}, r"mode: expected one of \['pad', 'discard'\]"),
        ({"data_shape": "(3,x)"}, "data_shape: expected a shape"),
    ],
)
def test_bad_values(params: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"data_shape": (1,), "batch_size": 1}
    with pytest.raises(InvalidParameterError, match=message):
        parse_params(Options, "It", base | params)


@given(st.lists(st.integers(0, 10_000), max_size=5), st.sampled_from(["({})", "[{}]", "{}"]))
def test_shape_strings_round_trip(dims: list[int], template: str) -> None:
    text = template.format(", ".join(map(str, dims)))
    assert parse_shape(text) == tuple(dims)
    assert parse_shape(tuple(dims)) == tuple(dims)

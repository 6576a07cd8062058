"""MXNet's iterator parameters: typed values or strings, parsed once into a dataclass.

MXNet's C++ iterators take every parameter as a string (``"(3,28,28)"``,
``"True"``, ``"100"``), which its other language bindings rely on; Python users
pass typed values. Each recio iterator declares its parameters as a slotted,
keyword-only dataclass; :func:`parse_params` converts the strings, rejects
unknown names (naming the closest valid one) and names any missing required
one, so iterator code only ever sees checked, typed options.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import types
import typing
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

__all__ = ["InvalidParameterError", "Shape", "parse_params", "parse_shape"]

T = TypeVar("T")
Shape = tuple[int, ...]


class InvalidParameterError(ValueError, TypeError):
    """An iterator parameter that is unknown, missing, or of the wrong form."""


def parse_shape(value: Any, name: str = "shape") -> Shape:
    """A shape from a tuple/list of ints, an int, or MXNet's string form ``"(3, 28, 28)"``."""
    if isinstance(value, str):
        text = value.strip().strip("()[]").strip()
        parts = [p for p in text.replace(" ", "").split(",") if p]
        try:
            return tuple(int(p) for p in parts)
        except ValueError:
            raise InvalidParameterError(
                f"{name}: expected a shape such as '(3,224,224)', got {value!r}"
            ) from None
    if isinstance(value, int | float) and not isinstance(value, bool) and int(value) == value:
        return (int(value),)
    try:
        return tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name}: expected a shape, got {value!r}") from None


def _parse_bool(value: Any, name: str) -> bool:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise InvalidParameterError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def _convert(value: Any, hint: Any, name: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        is_none = value is None or (isinstance(value, str) and value in ("None", ""))
        if is_none and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(value, option, name)
            except InvalidParameterError as e:
                errors.append(str(e))
        raise InvalidParameterError(_join_expected(errors, name, value))
    if origin is Literal:
        choices = get_args(hint)
        for choice in choices:
            if value == choice or (isinstance(value, str) and str(choice) == value.strip()):
                return choice
        raise InvalidParameterError(f"{name}: expected one of {list(choices)}, got {value!r}")
    if hint == Shape or origin is tuple:
        return parse_shape(value, name)
    if hint is bool:
        return _parse_bool(value, name)
    if hint in (int, float):
        try:
            number = hint(value.strip()) if isinstance(value, str) else hint(value)
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"{name}: expected {hint.__name__}, got {value!r}"
            ) from None
        if hint is int and not isinstance(value, str) and number != value:
            raise InvalidParameterError(f"{name}: expected an integer, got {value!r}")
        return number
    if hint is str:
        if isinstance(value, list | tuple | dict | set):
            raise InvalidParameterError(f"{name}: expected a string, got {value!r}")
        return os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    if get_origin(hint) is list:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise InvalidParameterError(f"{name}: expected a list, got {value!r}")
        (item,) = get_args(hint)
        return [_convert(v, item, name) for v in value]
    return value  # Any, or a type the iterator checks itself


def _join_expected(errors: list[str], name: str, value: Any) -> str:
    """One message for a value no member of a union accepts.

    ``"n: expected int, got 'x'"`` and ``"n: expected one of ['auto'], got 'x'"``
    become ``"n: expected int or one of ['auto'], got 'x'"``; other messages are
    joined with ``"; "``.
    """
    head, tail = f"{name}: expected ", f", got {value!r}"
    if all(e.startswith(head) and e.endswith(tail) for e in errors):
        return head + " or ".join(e[len(head) : len(e) - len(tail)] for e in errors) + tail
    return "; ".join(errors)


def parse_params(cls: type[T], where: str, params: dict[str, Any]) -> T:
    """An instance of dataclass `cls` from MXNet-style keyword `params`.

    `where` names the iterator in messages. Raises InvalidParameterError for an
    unknown name (with the closest valid one), a missing required parameter, or
    a value that does not convert to the declared type.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    for name in params:
        if name not in fields:
            close = difflib.get_close_matches(name, fields, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InvalidParameterError(
                f"{where}: unknown parameter {name!r}.{hint} "
                f"Valid parameters: {', '.join(sorted(fields))}"
            )
    missing = [
        f.name
        for f in fields.values()
        if f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
        and f.name not in params
    ]
    if missing:
        raise InvalidParameterError(
            f"{where}: required parameter {', '.join(repr(m) for m in missing)} is missing"
        )
    converted = {
        name: _convert(value, hints[name], f"{where}: {name}") for name, value in params.items()
    }
    return cls(**converted)

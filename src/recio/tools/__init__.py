"""The ``recio`` command-line tools, one module per subcommand.

:data:`SUBCOMMANDS` registers each: its name, the module that implements it and a one-line
summary (so that ``recio --help`` need not import every tool). A tool module exposes
``main(argv=None, prog=...) -> int`` (it owns its argument parser and returns the exit
status) and keeps its work in importable functions.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import NamedTuple, Protocol

__all__ = ["SUBCOMMANDS", "Subcommand", "Tool", "load"]


class Tool(Protocol):
    """What a subcommand module provides."""

    def main(self, argv: Sequence[str] | None = None, prog: str = ...) -> int: ...


class Subcommand(NamedTuple):
    """A registered subcommand: implementing module and summary for ``recio --help``."""

    module: str
    summary: str


SUBCOMMANDS: dict[str, Subcommand] = {
    "im2rec": Subcommand(
        "recio.tools.im2rec",
        "make image lists (.lst) from a folder, or pack them into .rec/.idx (MXNet's im2rec)",
    ),
    "inspect": Subcommand(
        "recio.tools.inspect",
        "describe .rec files: record count, labels, image formats and sizes, corrupt records",
    ),
}


def load(name: str) -> Tool:
    """The module of subcommand ``name``; ``KeyError`` when there is none."""
    module: Tool = importlib.import_module(SUBCOMMANDS[name].module)
    return module

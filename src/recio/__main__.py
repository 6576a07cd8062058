"""``recio SUBCOMMAND ...`` (also ``python -m recio``): dispatches to :mod:`recio.tools`.

Each subcommand owns its arguments; this only picks the subcommand, so ``recio im2rec
--help`` is im2rec's own help. Exit status: the subcommand's, or 2 for a usage error here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from recio import __version__
from recio.tools import SUBCOMMANDS, load

__all__ = ["main"]

_PROG = "recio"


def _usage() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = [
        f"usage: {_PROG} [-h] [--version] SUBCOMMAND [ARGS ...]",
        "",
        "MXNet 1.9.1's data tools without MXNet.",
        "",
        "subcommands:",
        *(f"  {name.ljust(width)}  {sub.summary}" for name, sub in SUBCOMMANDS.items()),
        "",
        f"'{_PROG} SUBCOMMAND --help' describes a subcommand's arguments.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the subcommand named by ``argv[0]`` (default ``sys.argv[1:]``); its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(_usage(), file=sys.stderr)
        return 2
    first = args[0]
    if first in ("-h", "--help"):
        print(_usage())
        return 0
    if first == "--version":
        print(f"{_PROG} {__version__}")
        return 0
    if first not in SUBCOMMANDS:
        known = ", ".join(SUBCOMMANDS)
        print(
            f"{_usage()}\n\n{_PROG}: error: unknown subcommand {first!r} (known: {known})",
            file=sys.stderr,
        )
        return 2
    return load(first).main(args[1:], prog=f"{_PROG} {first}")


if __name__ == "__main__":
    sys.exit(main())

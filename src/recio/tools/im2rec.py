"""``recio im2rec``: MXNet's ``tools/im2rec.py`` — make image lists, pack them into RecordIO.

Two steps, as in MXNet 1.9.1::

    recio im2rec --list --recursive PREFIX ROOT    # ROOT/<class>/*.jpg -> PREFIX.lst
    recio im2rec --resize 256 --num-thread 4 PREFIX ROOT    # PREFIX*.lst -> .rec + .idx
    recio im2rec --dask tcp://sched:8786 PREFIX ROOT   # PREFIX*.lst -> X.shards/ on a cluster

The same flags give the same .lst files as MXNet's tool, and .rec/.idx files MXNet reads
(see ``docs/notes/im2rec.md`` for what was verified and where recio differs). Also::

    python -m recio.tools.im2rec ...

Exit status (a script can rely on it):

* 0 — done, every listed image is in the output;
* 1 — done, but some inputs were skipped (unreadable or non-image files, malformed list
  lines, duplicate indexes, file names a .lst cannot hold); each was reported on stderr
  by path, with the count at the end;
* 2 — usage error: a bad option, ROOT not a folder, or no .lst file for PREFIX; with
  ``--dask``, dask.distributed not installed (the ``recio[dask]`` extra) or no scheduler
  at ADDRESS; nothing was written;
* 3 — an output file could not be written (permissions, disk full); the run stopped. With
  ``--dask``: a shard's task failed after its retries; the other shards are complete and
  that shard is missing (see :mod:`recio.tools._dask_pack`);
* 130 (Ctrl-C) or 143 (SIGTERM) — interrupted: the .rec/.idx hold the records written so
  far and the .idx names only complete records.

The work lives in :func:`make_lists` and :func:`pack_list` (importable, no printing of
their own); :func:`main` parses arguments, reports, and maps outcomes to the exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, TextIO

from recio.tools import _dask_pack
from recio.tools._lists import (
    DEFAULT_EXTS,
    BadLine,
    ListItem,
    count_lines,
    find_lists,
    list_images,
    read_list,
    shuffled,
    split_list,
    write_list,
)
from recio.tools._pack import PackError, PackOptions, PackStats, pack_items

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTPUT_ERROR",
    "EXIT_SKIPPED",
    "EXIT_USAGE",
    "ListResult",
    "build_parser",
    "main",
    "make_lists",
    "pack_list",
    "run",
]

EXIT_OK = 0
EXIT_SKIPPED = 1
EXIT_USAGE = 2
EXIT_OUTPUT_ERROR = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT; SIGTERM gives 128 + 15

# Boolean flags that older im2rec versions (and MXNet's tutorials) spell ``--flag=1``.
_BOOL_FLAGS = {
    "--list": ("--list", None),
    "--recursive": ("--recursive", None),
    "--shuffle": ("--shuffle", "--no-shuffle"),
    "--pass-through": ("--pass-through", None),
    "--center-crop": ("--center-crop", None),
    "--pack-label": ("--pack-label", None),
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


# -- the work ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListResult:
    """What :func:`make_lists` did: the files written (path, line count) and the listing."""

    files: list[tuple[str, int]]
    classes: list[tuple[str, int]]
    unlisted: list[tuple[str, str]]
    found: int


def make_lists(
    prefix: str,
    root: str,
    *,
    recursive: bool = False,
    exts: Sequence[str] = DEFAULT_EXTS,
    shuffle: bool = True,
    chunks: int = 1,
    train_ratio: float = 1.0,
    test_ratio: float = 0.0,
    on_error: Callable[[OSError], None] | None = None,
) -> ListResult:
    """Write ``PREFIX[_<chunk>][_train|_val|_test].lst`` for the images under ``root``.

    Exactly MXNet's ``im2rec.py --list``: see :mod:`recio.tools._lists` for the walk, the
    shuffle and the split. ``prefix`` is taken as a path prefix (``data/x`` writes
    ``data/x.lst``, also when ``data/x`` is a folder). Raises ``OSError`` when ``root``
    cannot be listed or a list cannot be written.
    """
    listing = list_images(root, recursive=recursive, exts=exts, on_error=on_error)
    items = shuffled(listing.items) if shuffle else listing.items
    base = os.path.abspath(prefix)
    files = []
    for suffix, part in split_list(
        items, chunks=chunks, train_ratio=train_ratio, test_ratio=test_ratio
    ):
        path = f"{base}{suffix}.lst"
        files.append((path, write_list(path, part)))
    return ListResult(files, listing.classes, listing.unlisted, len(listing.items))


def pack_list(
    lst_path: str,
    root: str,
    options: PackOptions,
    *,
    num_threads: int = 1,
    on_bad_line: Callable[[BadLine], Any] | None = None,
    on_skip: Callable[[ListItem, PackError], Any] | None = None,
    on_item: Callable[[], Any] | None = None,
    stats: PackStats | None = None,
) -> tuple[str, str, PackStats]:
    """Pack the images of ``lst_path`` into the .rec/.idx beside it: ``(rec, idx, stats)``.

    ``X.lst`` gives ``X.rec`` and ``X.idx`` in the same folder, as MXNet. Records follow
    the list order; see :func:`recio.tools._pack.pack_items` for threads and callbacks.
    """
    stem = os.path.splitext(lst_path)[0]
    rec, idx = stem + ".rec", stem + ".idx"
    stats = pack_items(
        read_list(lst_path, on_bad_line),
        rec,
        idx,
        root,
        options,
        num_threads=num_threads,
        on_skip=on_skip,
        on_item=on_item,
        stats=stats,
    )
    return rec, idx, stats


# -- the command line ----------------------------------------------------------------


def build_parser(prog: str = "recio im2rec") -> argparse.ArgumentParser:
    """The argument parser: MXNet im2rec's options and defaults, plus ``--quiet``."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Create an image list, or pack the images of image lists into RecordIO "
        "(.rec + .idx) files. Compatible with MXNet 1.9.1's tools/im2rec.py.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "prefix",
        help="prefix of the .lst files (with --list: the list to write; else every "
        "PREFIX*.lst is packed into a .rec/.idx beside it); a folder: its .lst files",
    )
    p.add_argument("root", help="folder holding the images (list paths are relative to it)")
    g = p.add_argument_group("Options for creating image lists")
    g.add_argument(
        "--list",
        action="store_true",
        help="create image list(s) by walking ROOT, instead of packing PREFIX*.lst",
    )
    g.add_argument(
        "--exts",
        nargs="+",
        default=list(DEFAULT_EXTS),
        help="extensions of image files (any case; the dot is optional)",
    )
    g.add_argument(
        "--chunks",
        type=int,
        default=argparse.SUPPRESS,  # not given: 1 with --list (as MXNet), automatic with --dask
        help="number of chunks: lists written by --list (default 1), or shards each list is "
        f"cut into with --dask (default one per {_dask_pack.DEFAULT_SHARD_IMAGES} images)",
    )
    g.add_argument(
        "--train-ratio", type=float, default=1.0, help="ratio of images to use for training"
    )
    g.add_argument(
        "--test-ratio",
        type=float,
        default=0.0,
        help="ratio of images to use for testing (ignored while --train-ratio is 1, as in MXNet)",
    )
    g.add_argument(
        "--recursive",
        action="store_true",
        help="walk sub-folders, labelling each folder's images 0, 1, ... in sorted folder "
        "order; otherwise only images directly in ROOT, all labelled 0",
    )
    g.add_argument(
        "--shuffle",
        dest="shuffle",
        action="store_true",
        default=True,
        help="shuffle the list (MXNet's seed 100; the default)",
    )
    g.add_argument("--no-shuffle", dest="shuffle", action="store_false", help="keep the walk order")
    g = p.add_argument_group("Options for creating the record files")
    g.add_argument(
        "--pass-through",
        action="store_true",
        help="store each file's bytes as they are (no decode, resize or encode)",
    )
    g.add_argument(
        "--resize",
        type=int,
        default=0,
        help="scale the shorter side to this size (0: keep the size)",
    )
    g.add_argument(
        "--center-crop", action="store_true", help="crop the centre square before resizing"
    )
    g.add_argument(
        "--quality",
        type=int,
        default=95,
        help="JPEG quality 0-100, or PNG compression 0-9 (a larger value counts as 9)",
    )
    g.add_argument(
        "--num-thread",
        type=int,
        default=1,
        help="threads decoding and encoding images (0: one per CPU); the records keep the "
        "list order whatever the count",
    )
    g.add_argument(
        "--color",
        type=int,
        default=1,
        choices=[-1, 0, 1],
        help="1: colour (alpha dropped); 0: grayscale; -1: as stored, alpha included",
    )
    g.add_argument(
        "--encoding", default=".jpg", choices=[".jpg", ".png"], help="encoding of the images"
    )
    g.add_argument(
        "--pack-label",
        action="store_true",
        help="store all labels of a multi-label list line in the record header",
    )
    g = p.add_argument_group("recio")
    g.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only problems (no progress bar, no summary); the bar is also off when "
        "stderr is not a terminal",
    )
    g.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="pack on the Dask cluster whose scheduler is at ADDRESS (tcp://host:port): each "
        "list X.lst is cut into --chunks shards, packed in parallel into X.shards/ (one "
        ".rec/.idx per shard; the folder reads as one dataset in list order). Workers must "
        "see ROOT and the lists at the same paths. Needs the recio[dask] extra",
    )
    g.add_argument(
        "--dask-retries",
        type=int,
        default=3,
        help="times Dask retries a shard whose task failed (a worker that dies is replaced "
        "and its shards rescheduled in any case)",
    )
    return p


def normalize_argv(argv: Sequence[str]) -> list[str]:
    """``argv`` with ``--flag=VALUE`` forms of boolean flags turned into plain flags.

    MXNet's tutorials (written for older im2rec versions) pass ``--list=1``,
    ``--recursive=1``, ``--shuffle=1``, ``--pass-through=1``; 1.9.1 rejects them. recio
    accepts 1/0, true/false, yes/no, on/off. Anything after ``--`` is left alone.
    """
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            return out + list(argv[i:])
        name, eq, value = arg.partition("=")
        if eq and name in _BOOL_FLAGS:
            on, off = _BOOL_FLAGS[name]
            v = value.strip().lower()
            if v in _TRUE:
                out.append(on)
                continue
            if v in _FALSE:
                if off is not None:
                    out.append(off)
                continue
        out.append(arg)
    return out


@dataclass
class _Reporter:
    """Prints problems (always) and progress/summaries (unless quiet) to a stream."""

    stream: TextIO
    quiet: bool
    problems: int = 0
    bar: Any = field(default=None)

    def info(self, message: str) -> None:
        if not self.quiet:
            self._write(message)

    def problem(self, message: str) -> None:
        self.problems += 1
        self._write(message)

    def warn(self, message: str) -> None:
        self._write(f"warning: {message}")

    def _write(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)

    def open_bar(self, total: int, desc: str, unit: str = "img") -> None:
        """A tqdm bar (rate, ETA) when the stream is a terminal and not quiet."""
        if self.quiet or not self.stream.isatty():
            return
        try:  # tqdm ships no type information: used through Any
            tqdm: Any = importlib.import_module("tqdm").tqdm
        except ImportError:  # the bar is a convenience; packing works without it
            return
        self.bar = tqdm(total=total, desc=desc, unit=unit, file=self.stream, dynamic_ncols=True)

    def tick(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _check_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> PackOptions:
    chunks = getattr(args, "chunks", None)
    if chunks is not None and chunks < 1:
        p.error(f"--chunks must be at least 1, got {chunks}")
    if args.dask and args.list:
        p.error("--dask packs lists; it cannot be combined with --list (make the list first)")
    if args.dask_retries < 0:
        p.error(f"--dask-retries must be 0 or more, got {args.dask_retries}")
    for name in ("train_ratio", "test_ratio"):
        value = getattr(args, name)
        if not 0.0 <= value <= 1.0:
            p.error(f"--{name.replace('_', '-')} must be within 0..1, got {value}")
    if args.num_thread < 0:
        p.error(f"--num-thread must be 0 (one per CPU) or more, got {args.num_thread}")
    try:
        return PackOptions(
            resize=args.resize,
            center_crop=args.center_crop,
            quality=args.quality,
            encoding=args.encoding,
            color=args.color,
            pass_through=args.pass_through,
            pack_label=args.pack_label,
        )
    except ValueError as e:
        p.error(f"--{str(e).replace('_', '-')}")


def _run_list(args: argparse.Namespace, out: _Reporter) -> int:
    if args.train_ratio == 1.0 and args.test_ratio:
        out.warn(
            f"--test-ratio {args.test_ratio} is ignored while --train-ratio is 1.0 (as in "
            f"MXNet): one list is written; pass e.g. --train-ratio {1 - args.test_ratio:g} "
            "for train/test lists"
        )
    elif args.train_ratio + args.test_ratio > 1.0:
        out.warn(
            f"--train-ratio {args.train_ratio} + --test-ratio {args.test_ratio} exceed 1: "
            "the train list gets only what the test list leaves"
        )
    result = make_lists(
        args.prefix,
        args.root,
        recursive=args.recursive,
        exts=args.exts,
        shuffle=args.shuffle,
        chunks=getattr(args, "chunks", 1),
        train_ratio=args.train_ratio,
        test_ratio=args.test_ratio,
        on_error=lambda e: out.warn(f"not listed: {e}"),
    )
    if not args.quiet:  # MXNet prints the folder -> label map on stdout
        for folder, label in result.classes:
            print(folder, label)
    for rel, reason in result.unlisted:
        out.problem(f"skipped {os.path.join(os.path.abspath(args.root), rel)!r}: {reason}")
    if not result.found:
        out.warn(f"no file with an extension in {args.exts} under {args.root}")
    for path, n in result.files:
        out.info(f"wrote {path} ({n} images)")
    return EXIT_SKIPPED if out.problems else EXIT_OK


def _run_pack(args: argparse.Namespace, options: PackOptions, out: _Reporter) -> int:
    folder, lists = find_lists(args.prefix)
    if not lists:
        out.problem(
            f"error: no .lst file for PREFIX {args.prefix!r} (looked for "
            f"{os.path.abspath(args.prefix)}*.lst in {folder}); create one with --list"
        )
        return EXIT_USAGE
    if options.encoding == ".png" and options.quality > 9:
        out.info(f"--quality {options.quality}: PNG compression levels are 0-9; using 9")
    threads = args.num_thread or os.cpu_count() or 1
    root = os.path.abspath(args.root)
    if args.dask:
        return _run_dask(args, options, lists, root, out)
    with _opencv_errors_silenced():
        for lst in lists:
            _pack_one(lst, root, options, threads, out)
    if out.problems:
        out.info(f"{out.problems} problem{'s' * (out.problems > 1)} reported above")
    return EXIT_SKIPPED if out.problems else EXIT_OK


@contextlib.contextmanager
def _opencv_errors_silenced() -> Iterator[None]:
    """OpenCV's own log off: it would print "[ERROR] imdecode_ ..." beside recio's report.

    OpenCV 4 has ``cv2.setLogLevel``, OpenCV 5 ``cv2.utils.logging.setLogLevel``; level 0
    is silent in both.
    """
    import cv2

    logging: Any = getattr(cv2.utils, "logging", None) or cv2
    if not hasattr(logging, "setLogLevel"):
        yield
        return
    level = logging.getLogLevel()
    logging.setLogLevel(0)
    try:
        yield
    finally:
        logging.setLogLevel(level)


def _pack_one(lst: str, root: str, options: PackOptions, threads: int, out: _Reporter) -> None:
    """Pack one list with a progress bar, reporting each skipped line and image."""
    stats = PackStats()
    out.info(f"packing {lst} with {threads} thread{'s' * (threads > 1)}")
    out.open_bar(count_lines(lst), os.path.basename(lst))
    try:
        rec, _, _ = pack_list(
            lst,
            root,
            options,
            num_threads=threads,
            on_bad_line=lambda bad: out.problem(f"skipped line {bad}"),
            on_skip=lambda _item, e: out.problem(f"skipped {e.path!r}: {e.reason}"),
            on_item=out.tick,
            stats=stats,
        )
    finally:
        out.close_bar()
    out.info(f"wrote {rec}: {stats.written} images, {stats.skipped} skipped")


def _run_dask(
    args: argparse.Namespace, options: PackOptions, lists: list[str], root: str, out: _Reporter
) -> int:
    """Pack ``lists`` as shards on the cluster at ``args.dask`` (:mod:`._dask_pack`)."""
    try:
        client = _dask_pack.connect(args.dask)
    except (ImportError, OSError) as e:  # no extra, or no scheduler: nothing was written
        out.problem(f"error: {e}")
        return EXIT_USAGE
    try:
        shards: list[_dask_pack.Shard] = []
        duplicates: dict[str, int] = {}
        for lst in lists:
            lines = read_list(lst, lambda bad: out.problem(f"skipped line {bad}"))
            items, dropped = _dask_pack.dedupe(lines, root)
            for dup in dropped:
                out.problem(f"skipped {dup.path!r}: {dup.reason}")
            duplicates[lst] = len(dropped)
            shards += _dask_pack.plan_shards(items, lst, getattr(args, "chunks", 0))
        workers = len(client.scheduler_info().get("workers", {}))
        out.info(
            f"packing {len(lists)} list{'s' * (len(lists) > 1)} as {len(shards)} "
            f"shard{'s' * (len(shards) > 1)} on {args.dask} ({workers} workers)"
        )

        def done(result: _dask_pack.ShardResult) -> None:
            for path, reason in result.skipped:
                out.problem(f"skipped {path!r}: {reason}")
            out.tick()

        out.open_bar(len(shards), "shards", unit="shard")
        try:
            results, failures = _dask_pack.pack_on_dask(
                client,
                shards,
                root,
                options,
                num_threads=args.num_thread,
                retries=args.dask_retries,
                on_done=done,
            )
        finally:
            out.close_bar()
    finally:
        client.close()
    for lst in lists:
        folder = _dask_pack.shard_dir(lst)
        mine = [r for r in results if os.path.dirname(r.rec) == folder]
        written = sum(r.written for r in mine)
        skipped = sum(len(r.skipped) for r in mine) + duplicates[lst]
        out.info(f"wrote {folder}: {len(mine)} shards, {written} images, {skipped} skipped")
    for failure in failures:
        out.problem(f"error: shard {failure.rec} was not written: {failure.error}")
    if failures:
        return EXIT_OUTPUT_ERROR
    if out.problems:
        out.info(f"{out.problems} problem{'s' * (out.problems > 1)} reported above")
    return EXIT_SKIPPED if out.problems else EXIT_OK


class _TerminatedError(Exception):
    """SIGTERM arrived; raised in the main thread so that outputs are closed cleanly."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _TerminatedError


def run(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> int:
    """Do what parsed ``args`` ask; return the exit status (see the module docstring)."""
    p = parser or build_parser()
    options = _check_args(p, args)
    out = _Reporter(sys.stderr, args.quiet)
    if not os.path.isdir(args.root):
        out.problem(f"error: ROOT {args.root!r} is not a folder")
        return EXIT_USAGE
    restore = None
    if threading.current_thread() is threading.main_thread():
        restore = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _run_list(args, out) if args.list else _run_pack(args, options, out)
    except KeyboardInterrupt:
        out.problem("interrupted: the .idx names only the records completely written")
        return EXIT_INTERRUPTED
    except _TerminatedError:
        out.problem("terminated: the .idx names only the records completely written")
        return 128 + signal.SIGTERM
    except OSError as e:
        out.problem(f"error: {e}")
        return EXIT_OUTPUT_ERROR
    finally:
        if restore is not None:
            signal.signal(signal.SIGTERM, restore)


def main(argv: Sequence[str] | None = None, prog: str = "recio im2rec") -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run, and return the exit status."""
    parser = build_parser(prog)
    raw = sys.argv[1:] if argv is None else argv
    try:
        args = parser.parse_args(normalize_argv(raw))
    except SystemExit as e:  # argparse: --help (0) or a usage error (2)
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    try:
        return run(args, parser)
    except SystemExit as e:  # parser.error() from the value checks
        return e.code if isinstance(e.code, int) else EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main(prog="python -m recio.tools.im2rec"))

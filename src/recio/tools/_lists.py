"""Image lists (.lst): made from a folder, shuffled and split as MXNet's im2rec does, read back.

A .lst file has one image per line, fields separated by tabs::

    index <TAB> label [<TAB> label ...] <TAB> path-relative-to-ROOT

``index`` is the record's key and header id; labels are written ``%f`` (``3.000000``).
Everything here reproduces MXNet 1.9.1's ``tools/im2rec.py`` (verified by running it, see
``docs/notes/im2rec.md``) so that the same flags give byte-identical lists:

* a recursive walk follows symlinks, visits sub-folders and files in sorted order and gives
  each folder that holds at least one image a label, 0, 1, ... in the order the walk first
  finds an image there (so the label order is the sorted folder order, depth first);
* a non-recursive listing takes the sorted files directly in ROOT, all labelled 0;
* a file is an image when its lower-cased extension is one of ``exts``;
* the shuffle is ``random.seed(100)`` then ``random.shuffle`` (same sequence in any CPython 3);
* the train/test/val split and chunking use MXNet's arithmetic, quirks included.

No I/O happens outside :func:`list_images`, :func:`write_list` and :func:`read_list`.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_EXTS",
    "SHUFFLE_SEED",
    "BadLine",
    "ListItem",
    "Listing",
    "count_lines",
    "find_lists",
    "format_line",
    "list_images",
    "normalize_exts",
    "parse_line",
    "read_list",
    "shuffled",
    "split_list",
    "write_list",
]

DEFAULT_EXTS = (".jpeg", ".jpg", ".png")  # MXNet's --exts default
SHUFFLE_SEED = 100  # MXNet: random.seed(100); random.shuffle(image_list)
MAX_INDEX = 2**64 - 1  # the header's id is a uint64
_UNSAFE = ("\t", "\n", "\r")  # characters a .lst path cannot hold


@dataclass(frozen=True, slots=True)
class ListItem:
    """One .lst line: the record key/id, its labels, and the image path relative to ROOT."""

    index: int
    labels: tuple[float, ...]
    path: str


@dataclass(frozen=True, slots=True)
class BadLine:
    """A .lst line that was skipped, where it is and why (``str()`` is a full message)."""

    path: str
    lineno: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.lineno}: {self.reason}: {self.text!r}"


@dataclass(frozen=True, slots=True)
class Listing:
    """What :func:`list_images` found.

    ``classes`` maps each labelled folder (relative to ROOT, ``.`` for ROOT itself) to its
    label, in label order (recursive listings only). ``unlisted`` holds ``(path, reason)``
    for image files a .lst cannot name (a tab or line break in the name).
    """

    items: list[ListItem]
    classes: list[tuple[str, int]]
    unlisted: list[tuple[str, str]]


def normalize_exts(exts: Iterable[str]) -> tuple[str, ...]:
    """Extensions as :func:`list_images` compares them: lower case, with a leading dot.

    MXNet compares the lower-cased file suffix with ``exts`` as given, so ``--exts .JPG``
    or ``--exts jpg`` silently match nothing; recio accepts both spellings.
    """
    out: list[str] = []
    for ext in exts:
        e = ext.strip().lower()
        if e and not e.startswith("."):
            e = "." + e
        if e and e not in out:
            out.append(e)
    return tuple(out)


def _unsafe_reason(name: str) -> str | None:
    if any(c in name for c in _UNSAFE):
        return "its name holds a tab or line break, which a .lst line cannot represent"
    if name != name.strip():
        return "its name starts or ends with white space, which reading a .lst strips"
    return None


def _is_loop(path: str, child: str) -> bool:
    """Whether the symlinked folder ``child`` of ``path`` leads back to ``path`` or above."""
    here = os.path.realpath(path)
    target = os.path.realpath(child)
    return here == target or here.startswith(target.rstrip(os.sep) + os.sep)


def list_images(
    root: str,
    *,
    recursive: bool = False,
    exts: Iterable[str] = DEFAULT_EXTS,
    on_error: Callable[[OSError], None] | None = None,
) -> Listing:
    """The images under ``root`` as MXNet's ``im2rec.py --list`` finds them, in file order.

    Indexes are 0, 1, ... in walk order (before any shuffle). ``on_error`` hears about
    sub-folders that cannot be read (MXNet ignores them silently) and symlink loops, which
    are not followed (MXNet follows them until the path is too long, listing files again).
    Raises ``OSError`` when ``root`` itself cannot be listed.
    """
    wanted = normalize_exts(exts)
    root = os.path.abspath(root)
    items: list[ListItem] = []
    unlisted: list[tuple[str, str]] = []

    def take(folder: str, fname: str, label: int) -> bool:
        fpath = os.path.join(folder, fname)
        if os.path.splitext(fname)[1].lower() not in wanted or not os.path.isfile(fpath):
            return False
        rel = os.path.relpath(fpath, root)
        reason = _unsafe_reason(rel)
        if reason is not None:
            unlisted.append((rel, reason))
            return False
        items.append(ListItem(len(items), (float(label),), rel))
        return True

    if not recursive:
        if not os.path.isdir(root):
            raise NotADirectoryError(f"{root} is not a folder")
        for fname in sorted(os.listdir(root)):
            take(root, fname, 0)
        return Listing(items, [], unlisted)

    if not os.path.isdir(root):
        raise NotADirectoryError(f"{root} is not a folder")
    labels: dict[str, int] = {}
    for folder, dirs, files in os.walk(root, onerror=on_error, followlinks=True):
        dirs.sort()
        files.sort()
        for d in list(dirs):
            child = os.path.join(folder, d)
            if os.path.islink(child) and _is_loop(folder, child):
                dirs.remove(d)
                if on_error is not None:
                    on_error(OSError(f"{child}: symlink loop, not followed"))
        for fname in files:
            label = labels.get(folder, len(labels))
            if take(folder, fname, label):
                labels.setdefault(folder, label)
    classes = [(os.path.relpath(f, root), lab) for f, lab in labels.items()]
    return Listing(items, classes, unlisted)


def shuffled(items: Sequence[ListItem], seed: int = SHUFFLE_SEED) -> list[ListItem]:
    """A copy of ``items`` in MXNet's shuffled order (``random.seed(seed); random.shuffle``).

    A private ``random.Random(seed)`` draws the same sequence as the seeded module-level
    generator MXNet uses, without touching the caller's global random state.
    """
    out = list(items)
    random.Random(seed).shuffle(out)
    return out


def split_list(
    items: Sequence[ListItem],
    *,
    chunks: int = 1,
    train_ratio: float = 1.0,
    test_ratio: float = 0.0,
) -> list[tuple[str, list[ListItem]]]:
    """``(file-name suffix, items)`` for each .lst MXNet writes, in MXNet's order.

    The items are cut into ``chunks`` consecutive chunks of ``ceil(n / chunks)`` (suffix
    ``_<i>`` when there is more than one). Per chunk, with ``size`` the full chunk size
    (also for a shorter last chunk, as MXNet computes it), ``n_test = int(size *
    test_ratio)`` and ``n_train = int(size * train_ratio)``: when ``train_ratio`` is 1.0
    the whole chunk goes to ``.lst`` and ``test_ratio`` is ignored; otherwise ``_test`` gets
    the first ``n_test`` items (written whenever test_ratio is non-zero, even empty),
    ``_val`` what follows train (only when the ratios sum below 1.0) and ``_train`` the
    ``n_train`` items after the test ones.
    """
    if chunks < 1:
        raise ValueError(f"chunks must be at least 1, got {chunks}")
    size = math.ceil(len(items) / chunks) if items else 0
    out: list[tuple[str, list[ListItem]]] = []
    for i in range(chunks):
        chunk = list(items[i * size : (i + 1) * size])
        tag = f"_{i}" if chunks > 1 else ""
        n_train = int(size * train_ratio)
        n_test = int(size * test_ratio)
        if train_ratio == 1.0:
            out.append((tag, chunk))
            continue
        if test_ratio:
            out.append((f"{tag}_test", chunk[:n_test]))
        if train_ratio + test_ratio < 1.0:
            out.append((f"{tag}_val", chunk[n_test + n_train :]))
        out.append((f"{tag}_train", chunk[n_test : n_test + n_train]))
    return out


def format_line(item: ListItem) -> str:
    """The .lst line of ``item``, newline included, exactly as MXNet writes it."""
    labels = "".join(f"{label:f}\t" for label in item.labels)
    return f"{item.index:d}\t{labels}{item.path}\n"


def write_list(path: str, items: Iterable[ListItem]) -> int:
    """Write ``items`` to the .lst file ``path`` (replacing it); return the line count.

    Paths are written as UTF-8; undecodable file-name bytes round-trip through
    ``surrogateescape``, so every listed file can be found again.
    """
    n = 0
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as f:
        for item in items:
            f.write(format_line(item))
            n += 1
    return n


def parse_line(line: str) -> ListItem | str:
    """The item on one .lst line, or why it cannot be one.

    As MXNet: the line and every tab-separated field are stripped, the first field is the
    int index, the last the path and those between the float labels. recio also requires
    the index to fit the header's uint64 (MXNet fails on it later, when packing).
    """
    fields = [f.strip() for f in line.strip().split("\t")]
    if len(fields) < 3:
        return f"expected at least 3 tab-separated fields (index, label, path), got {len(fields)}"
    try:
        index = int(fields[0])
    except ValueError:
        return f"the index {fields[0]!r} is not an integer"
    if not 0 <= index <= MAX_INDEX:
        return f"the index {index} is outside 0..2**64-1"
    try:
        labels = tuple(float(f) for f in fields[1:-1])
    except ValueError as e:
        return f"a label is not a number ({e})"
    return ListItem(index, labels, fields[-1])


def read_list(
    path: str, on_bad_line: Callable[[BadLine], None] | None = None
) -> Iterator[ListItem]:
    """The items of the .lst file ``path``, lazily, in file order.

    Malformed lines are skipped and passed to ``on_bad_line`` (MXNet prints them and goes
    on, too); blank lines are ignored. A duplicate index is not checked here: the writer
    refuses it when packing.
    """
    with open(path, encoding="utf-8", errors="surrogateescape", newline=None) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            parsed = parse_line(line)
            if isinstance(parsed, ListItem):
                yield parsed
            elif on_bad_line is not None:
                on_bad_line(BadLine(path, lineno, line.rstrip("\r\n"), parsed))


def count_lines(path: str) -> int:
    """The number of non-blank lines of ``path`` (the progress bar's total)."""
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def find_lists(prefix: str) -> tuple[str, list[str]]:
    """``(working folder, .lst files)`` that packing with ``prefix`` reads, sorted by name.

    As MXNet: when ``prefix`` names a folder, every .lst file in it; otherwise every .lst
    file in the prefix's folder whose path starts with ``prefix`` (``data/train`` takes
    ``train.lst``, ``train_0.lst``, ``trainval.lst``). MXNet takes them in ``os.listdir``
    order; recio sorts them, so runs are repeatable.
    """
    prefix = os.path.abspath(prefix)
    folder = prefix if os.path.isdir(prefix) else os.path.dirname(prefix)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return folder, []
    found = []
    for name in names:
        path = os.path.join(folder, name)
        if path.startswith(prefix) and path.endswith(".lst") and os.path.isfile(path):
            found.append(path)
    return folder, found

"""``recio im2rec --dask ADDRESS``: pack a list as shards, in parallel, on a Dask cluster.

Each .lst is cut into consecutive chunks; each chunk becomes one shard, a .rec/.idx pair
packed by one Dask task, exactly as :func:`recio.tools._pack.pack_items` packs a whole list
locally. ``X.lst`` gives the folder ``X.shards/`` holding::

    X-00000-of-00004.rec  X-00000-of-00004.idx
    X-00001-of-00004.rec  ...

The numbers are zero-padded to one width, so the folder (which the iterators read as one
dataset, its .rec files in name order) or a sorted glob of it reads the list's records in
list order: the shards joined are record for record what a local run writes to ``X.rec``
(a duplicated index is refused on the whole list, before it is cut, as a local run refuses
it). A run first removes the shards a previous run left in the folder, whatever their
count, as a local run truncates ``X.rec``.

Why it is safe to retry: a task writes its shard under hidden temporary names
(``.X-00001-of-00004.rec.tmp-<random>``, which no reader takes for a shard), fsyncs them and
renames them into place only when complete, .idx first. A task killed part-way leaves at
most a temporary file, which the client removes at the end; its retry (Dask's ``retries=``
for an exception, the scheduler's rescheduling for a dead worker) writes the shard again
from the start under a fresh temporary name. Encoding is deterministic, so two attempts
that both finish write the same bytes.

Workers must see ROOT and the list's folder at the same paths as the client (a shared file
system): the images are read and the shards written there, not sent over the network.
``dask.distributed`` is imported only here, lazily; without it :func:`import_distributed`
raises ImportError naming the ``recio[dask]`` extra.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from recio.tools._lists import ListItem
from recio.tools._pack import PackError, PackOptions, pack_items

__all__ = [
    "DEFAULT_SHARD_IMAGES",
    "EXTRA",
    "Shard",
    "ShardFailure",
    "ShardResult",
    "clean_shard_dir",
    "connect",
    "dedupe",
    "import_distributed",
    "pack_on_dask",
    "pack_shard",
    "plan_shards",
    "shard_dir",
]

EXTRA = "recio[dask]"
# Without --chunks, one shard per this many images: enough tasks to spread a large list over
# a cluster and to make a retry cheap, few enough that per-task overhead (~ms) is negligible.
DEFAULT_SHARD_IMAGES = 1000
_WIDTH = 5  # digits of the shard numbers (more when a list has over 99,999 shards)
_TMP = ".tmp-"


@dataclass(frozen=True, slots=True)
class Shard:
    """One task's work: the list items of chunk ``index`` (of ``total``) and its file stem."""

    index: int
    total: int
    stem: str  # the shard's .rec/.idx paths without the extension
    items: tuple[ListItem, ...]

    @property
    def rec(self) -> str:
        return self.stem + ".rec"

    @property
    def idx(self) -> str:
        return self.stem + ".idx"


@dataclass(frozen=True, slots=True)
class ShardResult:
    """What a task did: the shard written, its record count, the items left out and why."""

    rec: str
    written: int
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (image path, reason)


@dataclass(frozen=True, slots=True)
class ShardFailure:
    """A shard whose task still failed after its retries; the shard was not written."""

    rec: str
    error: str


def shard_dir(lst_path: str) -> str:
    """The folder the shards of ``lst_path`` go to: ``X.lst`` -> ``X.shards``."""
    return os.path.splitext(os.path.abspath(lst_path))[0] + ".shards"


def _shard_name(base: str, index: int, total: int) -> str:
    width = max(_WIDTH, len(str(total - 1)))
    return f"{base}-{index:0{width}d}-of-{total:0{width}d}"


def dedupe(items: Iterable[ListItem], root: str) -> tuple[list[ListItem], list[PackError]]:
    """``items`` without lines whose index an earlier line used, and an error for each.

    A local run refuses such a line when it writes it (one .idx key, one record); shards
    are written apart, so the check is made on the whole list before it is cut.
    """
    seen: set[int] = set()
    kept: list[ListItem] = []
    dropped: list[PackError] = []
    for item in items:
        if item.index in seen:
            dropped.append(
                PackError(
                    os.path.join(root, item.path),
                    f"index {item.index} is already used by an earlier line of the list",
                )
            )
            continue
        seen.add(item.index)
        kept.append(item)
    return kept, dropped


def plan_shards(items: Sequence[ListItem], lst_path: str, chunks: int = 0) -> list[Shard]:
    """The shards of ``lst_path``'s ``items``: ``chunks`` consecutive runs of near-equal size.

    ``chunks=0`` takes one shard per :data:`DEFAULT_SHARD_IMAGES` images. Sizes differ by at
    most one, larger first, and the count is capped at the number of items so that no shard
    is empty (an empty list still gives one, empty, shard).
    """
    if chunks < 0:
        raise ValueError(f"chunks must be 0 (automatic) or more, got {chunks}")
    n = len(items)
    total = chunks or math.ceil(n / DEFAULT_SHARD_IMAGES)
    total = max(1, min(total, n))
    folder = shard_dir(lst_path)
    base = os.path.basename(folder)[: -len(".shards")]
    size, extra = divmod(n, total)
    shards = []
    start = 0
    for i in range(total):
        end = start + size + (i < extra)
        stem = os.path.join(folder, _shard_name(base, i, total))
        shards.append(Shard(i, total, stem, tuple(items[start:end])))
        start = end
    return shards


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pack_shard(
    shard: Shard,
    root: str,
    options: PackOptions,
    num_threads: int = 1,
    on_item: Callable[[], Any] | None = None,
) -> ShardResult:
    """Pack ``shard`` (on a worker): write it under temporary names, then rename it into place.

    ``num_threads`` threads encode images (0: one per CPU of the worker). On any error the
    temporary files are removed and the error propagates, so Dask can retry the task; a
    process killed here leaves only a temporary file. Raises NotADirectoryError when ROOT
    is not a folder on this worker (the cluster does not share the client's files).
    """
    if not os.path.isdir(root):
        raise NotADirectoryError(
            f"ROOT {root!r} is not a folder on this worker ({socket.gethostname()}): --dask "
            "needs ROOT and the list's folder at the same paths on every worker"
        )
    folder, name = os.path.split(shard.stem)
    os.makedirs(folder, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    tmp_rec = os.path.join(folder, f".{name}.rec{_TMP}{token}")
    tmp_idx = os.path.join(folder, f".{name}.idx{_TMP}{token}")
    skipped: list[tuple[str, str]] = []
    try:
        stats = pack_items(
            shard.items,
            tmp_rec,
            tmp_idx,
            root,
            options,
            num_threads=num_threads or os.cpu_count() or 1,
            on_skip=lambda _item, e: skipped.append((e.path, e.reason)),
            on_item=on_item,
        )
        _fsync(tmp_rec)
        _fsync(tmp_idx)
        os.replace(tmp_idx, shard.idx)  # .idx first: a .rec in place always has its .idx
        os.replace(tmp_rec, shard.rec)
        with contextlib.suppress(OSError):  # the renames' durability; not every OS allows it
            _fsync(folder)
    except BaseException:
        for path in (tmp_rec, tmp_idx):
            if os.path.exists(path):
                os.remove(path)
        raise
    return ShardResult(shard.rec, stats.written, skipped)


def clean_shard_dir(folder: str, keep: Iterable[str]) -> list[str]:
    """Remove from ``folder`` shard files not in ``keep`` and temporary files; return them.

    Only names this module writes are touched: ``<base>-<i>-of-<n>.rec/.idx`` not in
    ``keep`` (a previous run's shards, which would otherwise mix into the dataset: a run
    starts with ``keep=()``) and ``.<...>.tmp-<token>`` files left by killed tasks (a run
    ends keeping its own shards).
    """
    if not os.path.isdir(folder):
        return []
    base = re.escape(os.path.basename(folder)[: -len(".shards")])
    shard_re = re.compile(rf"{base}-\d+-of-\d+\.(rec|idx)")
    tmp_re = re.compile(rf"\.{base}-\d+-of-\d+\.(rec|idx){re.escape(_TMP)}[0-9a-f]+")
    kept = {os.path.abspath(p) for p in keep}
    removed = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        stale = shard_re.fullmatch(name) and path not in kept
        if stale or tmp_re.fullmatch(name):
            os.remove(path)
            removed.append(path)
    return removed


def import_distributed() -> Any:
    """The ``dask.distributed`` module; ImportError naming the extra when it is missing."""
    try:
        return importlib.import_module("dask.distributed")
    except ImportError as e:
        raise ImportError(
            f"--dask needs dask.distributed, which is not installed ({e}); install the "
            f"extra: pip install '{EXTRA}'"
        ) from e


def connect(address: str, timeout: float = 30.0) -> Any:
    """A ``dask.distributed.Client`` of the scheduler at ``address`` (``tcp://host:port``).

    Raises ImportError (see :func:`import_distributed`) or OSError when no scheduler
    answers within ``timeout`` seconds.
    """
    distributed = import_distributed()
    try:
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise OSError(f"no Dask scheduler answered at {address!r} within {timeout:g}s: {e}") from e


def pack_on_dask(
    client: Any,
    shards: Sequence[Shard],
    root: str,
    options: PackOptions,
    *,
    num_threads: int = 1,
    retries: int = 3,
    on_done: Callable[[ShardResult], Any] | None = None,
    task: Callable[..., ShardResult] = pack_shard,
    timeout: float | None = None,
) -> tuple[list[ShardResult], list[ShardFailure]]:
    """Pack ``shards`` on ``client``'s cluster; ``(results in shard order, failures)``.

    One task per shard, ``task(shard, root, options, num_threads)`` (tests wrap
    :func:`pack_shard` to inject failures), submitted with ``retries``. ``on_done`` hears
    each result as its task completes (progress). When this returns, every shard of
    ``results`` is complete in place and the temporary files of killed attempts are gone.
    Raises ``TimeoutError`` past ``timeout`` seconds (default: no limit); an interruption
    cancels the tasks not yet done.
    """
    distributed = import_distributed()
    folders = sorted({os.path.dirname(s.stem) for s in shards})
    for folder in folders:  # a run replaces the previous one, as a local run truncates X.rec
        clean_shard_dir(folder, keep=())
    run = uuid.uuid4().hex[:8]
    futures = {
        client.submit(
            task,
            shard,
            root,
            options,
            num_threads,
            key=f"recio-pack-{run}-{n}-{os.path.basename(shard.stem)}",
            retries=retries,
            pure=False,
        ): n
        for n, shard in enumerate(shards)
    }
    done: dict[int, ShardResult] = {}
    failures: list[ShardFailure] = []
    try:
        for future in distributed.as_completed(list(futures), loop=client.loop, timeout=timeout):
            n = futures[future]
            try:
                done[n] = future.result()
            except Exception as e:  # the task's own error after its retries, or KilledWorker
                failures.append(ShardFailure(shards[n].rec, f"{type(e).__name__}: {e}"))
                continue
            if on_done is not None:
                on_done(done[n])
    finally:
        client.cancel([f for f in futures if not f.done()])
        for folder in folders:  # temporary files of killed attempts
            clean_shard_dir(folder, keep=[p for s in shards for p in (s.rec, s.idx)])
    return [done[n] for n in sorted(done)], sorted(failures, key=lambda f: f.rec)

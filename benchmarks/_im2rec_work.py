"""The measured im2rec runs, shared verbatim by the recio side and the MXNet side.

Each side times its im2rec *command line* as a subprocess, exactly as a user runs it:
``<reference python> mxnet/tools/im2rec.py`` for MXNet, ``<recio python> -m recio im2rec``
for recio, with the same PREFIX, ROOT and flags. ``make_handlers(command)`` takes the argv
prefix of the side's tool and returns the worker's request handlers.

Start-up: a tool's start-up (interpreter, imports: ``import mxnet`` alone takes about a
second here; MXNet also forks its worker processes) is measured by packing an empty list
(best of 3, once per worker) and subtracted by the ``pack`` op when asked, so that case
compares packing throughput only; the ``pack_cli`` case reports the raw wall time.

stdlib only at import: this module runs under both virtual environments (numpy 1.23 and
numpy 2); ``inspect`` imports OpenCV and numpy, which both venvs have.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from time import perf_counter
from types import ModuleType
from typing import Any

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def _run(argv: Sequence[str]) -> float:
    t0 = perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    return elapsed


def _stage(lst: str, out_dir: str) -> str:
    """A fresh ``out_dir`` holding a copy of ``lst`` as data.lst; returns the PREFIX."""
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    shutil.copy(lst, os.path.join(out_dir, "data.lst"))
    return os.path.join(out_dir, "data")


def _work_done(prefix: str, root: str) -> tuple[int, int]:
    """(records in the .idx, bytes of the source images of those records)."""
    paths = {}
    with open(prefix + ".lst", encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            paths[fields[0]] = fields[-1]
    items = nbytes = 0
    with open(prefix + ".idx", encoding="utf-8") as f:
        for line in f:
            key = line.split("\t")[0]
            items += 1
            nbytes += os.path.getsize(os.path.join(root, paths[key]))
    return items, nbytes


def make_handlers(command: Sequence[str], recordio: ModuleType) -> dict[str, Handler]:
    """The request handlers of one side.

    ``command`` runs the side's im2rec (PREFIX ROOT and flags follow); ``recordio`` is its
    RecordIO module, used only to check the output.
    """
    startup: dict[tuple[str, ...], float] = {}

    def startup_seconds(p: Mapping[str, Any]) -> float:
        flags = tuple(p["flags"])
        if flags not in startup:
            empty = Path(p["out_dir"]) / "empty"
            shutil.rmtree(empty, ignore_errors=True)
            empty.mkdir(parents=True)
            (empty / "data.lst").write_text("")
            argv = [*command, str(empty / "data"), p["root"], *flags]
            startup[flags] = min(_run(argv) for _ in range(3))
        return startup[flags]

    def make_list(p: Mapping[str, Any]) -> Mapping[str, Any]:
        """``--list --recursive PREFIX ROOT`` (untimed data preparation)."""
        _run([*command, p["prefix"], p["root"], "--list", "--recursive"])
        return {}

    def pack(p: Mapping[str, Any]) -> Mapping[str, Any]:
        """Time one run packing ``lst`` into ``out_dir``; start-up subtracted if asked."""
        overhead = startup_seconds(p) if p["subtract_startup"] else 0.0
        prefix = _stage(p["lst"], p["out_dir"])
        elapsed = _run([*command, prefix, p["root"], *p["flags"]])
        items, nbytes = _work_done(prefix, p["root"])
        return {"seconds": max(elapsed - overhead, 1e-9), "items": items, "nbytes": nbytes}

    def inspect(p: Mapping[str, Any]) -> Mapping[str, Any]:
        """Pack once, then decode every record: count and the set of shorter sides."""
        import cv2
        import numpy as np

        prefix = _stage(p["lst"], p["out_dir"])
        _run([*command, prefix, p["root"], *p["flags"]])
        shorts: set[int] = set()
        reader = recordio.MXIndexedRecordIO(prefix + ".idx", prefix + ".rec", "r")
        for key in reader.keys:
            _, payload = recordio.unpack(reader.read_idx(key))
            img = cv2.imdecode(np.frombuffer(payload, np.uint8), cv2.IMREAD_COLOR)
            shorts.add(int(min(img.shape[:2])))
        count = len(reader.keys)
        reader.close()
        return {"records": count, "short_sides": sorted(shorts)}

    return {"make_list": make_list, "pack": pack, "inspect": inspect}

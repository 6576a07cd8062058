"""RecordIO scenario: recio.recordio against mxnet.recordio (and ``cat`` for large records).

Cases (targets are the recio/baseline rate ratios the project aims for):

* ``small/read``      200,000 records of 64-128 bytes, ``MXRecordIO.read`` to the end,
  records/s, >= 4x MXNet.
* ``small/read_idx``  the same file, ``MXIndexedRecordIO.read_idx`` over a fixed random
  permutation of all keys, records/s, >= 3x MXNet.
* ``small/write``     the same payloads written with ``MXRecordIO.write``, records/s,
  >= 2x MXNet.
* ``small/write_idx`` the same payloads written with ``MXIndexedRecordIO.write_idx``
  (keys 0..n-1, .rec and .idx), records/s, >= 2x MXNet.
* ``large/read``      256 records of 1 MiB, ``MXRecordIO.read`` to the end, GB/s, >= 0.5x
  ``cat FILE > /dev/null`` from the page cache; MXNet's rate is shown for context.

The data (payloads, key order) is generated deterministically with numpy's PCG64 and the
.rec/.idx files are written once by MXNet, so every side reads the very same files; they
are kept in ``bench-data/recordio/`` and reused while their manifest matches.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._harness import CAT, MXNET, Baseline, Case, Check, Context

FORMAT_VERSION = 1  # bump to regenerate data files after changing how they are made


@dataclass(frozen=True)
class DataSpec:
    """How one data set is generated; a change regenerates it."""

    name: str
    count: int
    min_size: int
    max_size: int
    seed: int
    keep_payload: bool  # the write cases need the payloads; large/read does not
    version: int = FORMAT_VERSION


@dataclass(frozen=True)
class DataSet:
    """The files of one data set and the facts the cases check against."""

    rec: Path
    idx: Path
    payload: Path
    sizes: Path
    order: Path
    count: int
    payload_bytes: int
    rec_bytes: int
    idx_bytes: int
    crc_in_order: int  # CRC-32 of all payloads in file order
    crc_permuted: int  # CRC-32 of all payloads in the order of ``order``


def _write_u32(path: Path, values: np.ndarray) -> None:
    path.write_bytes(values.astype("<u4").tobytes())


def build_dataset(ctx: Context, spec: DataSpec) -> DataSet:
    """Generate (or reuse) one data set: payloads, key order, and MXNet-written .rec/.idx."""
    d = ctx.data_dir
    files = {k: d / f"{spec.name}.{k}" for k in ("rec", "idx", "payload", "sizes", "order", "json")}
    manifest = files.pop("json")
    if manifest.exists():
        meta = json.loads(manifest.read_text())
        needed = [files[k] for k in ("rec", "idx", "order")]
        if spec.keep_payload:
            needed += [files["payload"], files["sizes"]]
        if meta.get("spec") == asdict(spec) and all(p.exists() for p in needed):
            facts = meta["facts"]
            if files["rec"].stat().st_size == facts["rec_bytes"]:
                return DataSet(**files, **facts)

    rng = np.random.default_rng(spec.seed)
    sizes = rng.integers(spec.min_size, spec.max_size + 1, spec.count, dtype=np.int64)
    total = int(sizes.sum())
    blob = rng.bytes(total)
    order = rng.permutation(spec.count)
    _write_u32(files["sizes"], sizes)
    _write_u32(files["order"], order)
    files["payload"].write_bytes(blob)

    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    view = memoryview(blob)
    crc_permuted = 0
    for i in order.tolist():
        s = int(starts[i])
        crc_permuted = zlib.crc32(view[s : s + int(sizes[i])], crc_permuted)

    ctx.worker(MXNET).call(
        "prepare",
        {k: str(files[k]) for k in ("payload", "sizes", "rec", "idx")},
        timeout=600,
    )
    facts: dict[str, Any] = {
        "count": spec.count,
        "payload_bytes": total,
        "rec_bytes": files["rec"].stat().st_size,
        "idx_bytes": files["idx"].stat().st_size,
        "crc_in_order": zlib.crc32(blob),
        "crc_permuted": crc_permuted,
    }
    if not spec.keep_payload:
        files["payload"].unlink()
    manifest.write_text(json.dumps({"spec": asdict(spec), "facts": facts}, indent=2) + "\n")
    return DataSet(**files, **facts)


@dataclass(frozen=True)
class RecordIOScenario:
    """The RecordIO scenario; sizes are parameters so a quick variant is easy to make."""

    name: str = "recordio"
    description: str = "recio.recordio vs mxnet.recordio: small/large records, read/write"
    rounds: int = 9
    small_count: int = 200_000
    large_count: int = 256
    large_size: int = 1 << 20

    def prepare(self, ctx: Context) -> list[Case]:
        """Build the two data sets and return the five cases."""
        small = build_dataset(
            ctx, DataSpec("small", self.small_count, 64, 128, seed=20240601, keep_payload=True)
        )
        large = build_dataset(
            ctx,
            DataSpec(
                "large", self.large_count, self.large_size, self.large_size, 7, keep_payload=False
            ),
        )
        tmp = ctx.data_dir / "tmp"
        tmp.mkdir(exist_ok=True)
        vs_mxnet = (Baseline(MXNET, None),)

        def read_check(ds: DataSet) -> Check:
            return Check(
                "crc_read",
                {"rec": str(ds.rec)},
                {"records": ds.count, "crc32": ds.crc_in_order},
            )

        payloads = {"payload": str(small.payload), "sizes": str(small.sizes)}
        return [
            Case(
                name="small/read",
                op="seq_read",
                params={"rec": str(small.rec)},
                unit="records/s",
                items=small.count,
                nbytes=small.payload_bytes,
                baselines=(Baseline(MXNET, 4.0),),
                warm=(small.rec,),
                check=read_check(small),
                description="MXRecordIO.read() of 200k records of 64-128 B, sequential",
            ),
            Case(
                name="small/read_idx",
                op="random_read",
                params={"rec": str(small.rec), "idx": str(small.idx), "order": str(small.order)},
                unit="records/s",
                items=small.count,
                nbytes=small.payload_bytes,
                baselines=(Baseline(MXNET, 3.0),),
                warm=(small.rec, small.idx),
                check=Check(
                    "crc_read_idx",
                    {"rec": str(small.rec), "idx": str(small.idx), "order": str(small.order)},
                    {"records": small.count, "crc32": small.crc_permuted, "keys_are_0_to_n": True},
                ),
                description="MXIndexedRecordIO.read_idx() over a fixed random key permutation",
            ),
            Case(
                name="small/write",
                op="write",
                params={**payloads, "out": str(tmp / "write.rec")},
                unit="records/s",
                items=small.count,
                nbytes=small.rec_bytes,
                baselines=(Baseline(MXNET, 2.0),),
                description="MXRecordIO.write() of the 200k small payloads (open..close)",
            ),
            Case(
                name="small/write_idx",
                op="write_idx",
                params={
                    **payloads,
                    "out": str(tmp / "write_idx.rec"),
                    "out_idx": str(tmp / "write_idx.idx"),
                },
                unit="records/s",
                items=small.count,
                nbytes=small.rec_bytes + small.idx_bytes,
                baselines=(Baseline(MXNET, 2.0),),
                description="MXIndexedRecordIO.write_idx() of the 200k small payloads",
            ),
            Case(
                name="large/read",
                op="seq_read",
                params={"rec": str(large.rec)},
                unit="GB/s",
                items=large.count,
                nbytes=large.payload_bytes,
                baselines=(Baseline(CAT, 0.5), *vs_mxnet),
                command=("cat", str(large.rec)),
                warm=(large.rec,),
                check=read_check(large),
                description="MXRecordIO.read() of 256 records of 1 MiB from the page cache",
            ),
        ]


SCENARIO = RecordIOScenario()

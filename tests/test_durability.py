"""A writer killed with SIGKILL at any moment leaves files that read back correctly.

A subprocess (this file run as a script) writes thousands of records of random
sizes with ``MXIndexedRecordIO``: mostly small, some over the writer's 1 MiB
buffer, some holding the magic word, so buffer flushes and multi-part records
land at varied points. The test kills it at chosen moments (before it opened
anything, right after opening, after N records, while a large record is being
written) and checks what it left:

* the .rec is a prefix of the bytes the complete file would hold;
* reading it with ``on_error="raise"`` yields the records written, in order,
  then None, or a RecordIOError about a truncated record at the very end;
* with ``on_error="skip"`` it yields exactly the complete records;
* every key of the .idx reads back, with ``read_idx``, the record written for
  that key: the .idx never names a record that is not complete.

Records come from a seeded generator, so the test side regenerates exactly what
the child wrote. When the kill lands varies from run to run; what is asserted
holds wherever it lands, so the outcome does not.
"""

from __future__ import annotations

import os
import random
import signal
import struct
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from recio import recordio

MIB = 1 << 20
N_RECORDS = 4000
MAGIC = 0xCED7230A
MAGIC_BYTES = struct.pack("<I", MAGIC)
_CHILD_TIMEOUT_S = 60.0  # a watchdog: no run should take more than a second or two


# -- what the writer writes: deterministic from a seed ----------------------------------------


def generate(seed: int, n: int = N_RECORDS) -> Iterator[bytes]:
    """The records the writer writes under keys 0, 1, ... for `seed`."""
    rng = random.Random(seed)
    for _ in range(n):
        kind = rng.random()
        if kind < 0.006:
            size = rng.randrange(MIB + 1, 3 * MIB)  # more than the writer buffers
        elif kind < 0.026:
            size = rng.randrange(16 << 10, 256 << 10)
        else:
            size = rng.randrange(0, 3000)
        data = bytearray(rng.randbytes(size))
        if size >= 8 and (size > MIB or rng.random() < 0.08):
            for _ in range(rng.randrange(1, 5)):  # aligned: the record is split into parts
                at = rng.randrange(0, size - 3) & ~3
                data[at : at + 4] = MAGIC_BYTES
            if rng.random() < 0.5:  # unaligned: stays inside a part
                at = rng.randrange(0, size - 4) | 1
                data[at : at + 4] = MAGIC_BYTES
        yield bytes(data)


def _aligned_magic(data: bytes) -> list[int]:
    found, pos = [], data.find(MAGIC_BYTES)
    while pos >= 0:
        if pos % 4 == 0:
            found.append(pos)
        pos = data.find(MAGIC_BYTES, pos + 1)
    return found


def encode(data: bytes) -> bytes:
    """The dmlc RecordIO bytes of one record, written out independently of recio.

    Split at every aligned magic word, which is dropped; cflag 0 for a record in
    one part, else 1, 2, ..., 3; each part padded with zeros to 4 bytes.
    """
    cuts = _aligned_magic(data)
    if not cuts:
        parts = [(0, data)]
    else:
        starts = [0] + [c + 4 for c in cuts]
        ends = [*cuts, len(data)]
        flags = [1] + [2] * (len(cuts) - 1) + [3]
        parts = [(f, data[s:e]) for f, s, e in zip(flags, starts, ends, strict=True)]
    out = bytearray()
    for cflag, part in parts:
        out += struct.pack("<II", MAGIC, cflag << 29 | len(part)) + part + b"\0" * (-len(part) % 4)
    return bytes(out)


# -- the child: `python test_durability.py child REC IDX SEED PACE_SEED` -----------------------


def _child(rec: str, idx: str, seed: str, pace_seed: str) -> None:
    """Write all records, saying how far it got on stdout and pausing now and then."""
    pace = random.Random(int(pace_seed))
    out = sys.stdout
    with recordio.MXIndexedRecordIO(idx, rec, "w") as w:
        print("ready", file=out, flush=True)
        for key, data in enumerate(generate(int(seed))):
            if len(data) > MIB:
                print(f"large {key}", file=out, flush=True)
            w.write_idx(key, data)
            if key % 8 == 0:
                print(f"wrote {key}", file=out, flush=True)
            if pace.random() < 0.03:
                time.sleep(pace.random() * 0.002)
    print("done", file=out, flush=True)


# -- the parent: start, wait for a moment, SIGKILL ---------------------------------------------


class Kill(NamedTuple):
    """Kill `delay` seconds after the child prints a line matching `after`.

    `after` is "spawn" (no line: right after starting it), "ready" (files
    open), "wrote N" (N records or more written), "large K" (the K-th large
    record, 1-based, is about to be written), or "never" (let it finish).
    """

    after: str
    delay: float
    seed: int


def _triggered(line: str, after: str, larges_seen: int) -> bool:
    kind, _, arg = after.partition(" ")
    word, _, value = line.partition(" ")
    if kind == "ready":
        return word == "ready"
    if kind == "wrote":
        return word == "wrote" and int(value) >= int(arg)
    if kind == "large":
        return word == "large" and larges_seen >= int(arg)
    return False


def run_writer(tmp: Path, kill: Kill) -> tuple[Path, Path, int]:
    """Run the writer until `kill` says; returns (rec, idx, its exit status)."""
    rec, idx, err = tmp / "data.rec", tmp / "data.idx", tmp / "stderr.txt"
    argv = [sys.executable, __file__, "child", str(rec), str(idx), str(kill.seed), str(kill.seed)]
    with open(err, "wb") as stderr:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
        )
    watchdog = threading.Timer(_CHILD_TIMEOUT_S, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None
        if kill.after != "spawn":
            larges = 0
            for raw in proc.stdout:
                line = raw.decode().strip()
                larges += line.startswith("large ")
                if _triggered(line, kill.after, larges):
                    break
        if kill.after != "never":
            time.sleep(kill.delay)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
        status = proc.wait(timeout=_CHILD_TIMEOUT_S)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    if status not in (0, -signal.SIGKILL):
        pytest.fail(f"writer exited with {status}:\n{err.read_text(errors='replace')[-3000:]}")
    return rec, idx, status


# -- checking what a writer left ----------------------------------------------------------


class Expected(NamedTuple):
    complete: list[bytes]  # records whose bytes are all in the file
    offsets: list[int]  # where each of them starts
    truncated: bool  # the file ends inside a record (padding included, as MXNet reads it)


def expected_from(data: bytes, seed: int) -> Expected:
    """What the file `data` holds, checking on the way that it is a prefix of the full file."""
    complete: list[bytes] = []
    offsets: list[int] = []
    pos = 0
    for record in generate(seed):
        if pos == len(data):
            return Expected(complete, offsets, truncated=False)
        encoded = encode(record)
        chunk = data[pos : pos + len(encoded)]
        if len(chunk) < len(encoded):
            assert encoded.startswith(chunk), (
                f"the last {len(chunk)} bytes (from offset {pos}) are not the start of record "
                f"{len(complete)}"
            )
            return Expected(complete, offsets, truncated=True)
        assert chunk == encoded, f"record {len(complete)} at offset {pos} differs"
        complete.append(record)
        offsets.append(pos)
        pos += len(encoded)
    assert pos == len(data), f"{len(data) - pos} bytes after the last record"
    return Expected(complete, offsets, truncated=False)


def _same(got: list[bytes], want: list[bytes], what: str) -> None:
    """Compare record lists without pytest printing megabytes of bytes."""
    for i, (a, b) in enumerate(zip(got, want, strict=False)):
        assert a == b, f"{what}: record {i} differs ({len(a)} bytes read, {len(b)} written)"
    assert len(got) == len(want), f"{what}: {len(got)} records read, expected {len(want)}"


def check_files(rec: Path, idx: Path, seed: int) -> Expected:
    """Everything the module docstring promises about a killed writer's files."""
    if not rec.exists():  # killed before it opened anything
        assert not idx.exists()
        return Expected([], [], truncated=False)
    data = rec.read_bytes()
    exp = expected_from(data, seed)

    # on_error="raise": the records in order, then None or a truncated record at the tail
    got: list[bytes] = []
    error: recordio.RecordIOError | None = None
    stopped_at = -1
    with recordio.MXRecordIO(str(rec), "r") as r:
        try:
            while (record := r.read()) is not None:
                got.append(record)
        except recordio.RecordIOError as e:
            error = e
            stopped_at = r.tell()
    _same(got, exp.complete, "on_error='raise'")
    if exp.truncated:
        assert error is not None, "a truncated last record read without error"
        assert "truncated" in str(error), str(error)
        assert str(rec) in str(error)
        end_of_complete = exp.offsets[-1] + len(encode(exp.complete[-1])) if exp.offsets else 0
        assert stopped_at == end_of_complete
        assert error.offset is not None and end_of_complete <= error.offset <= len(data)
    else:
        assert error is None, f"unexpected error: {error}"

    # on_error="skip": exactly the complete records, one warning for a truncated tail
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with recordio.MXRecordIO(str(rec), "r", on_error="skip") as r:
            got = list(r)
            skipped = r.skipped
    _same(got, exp.complete, "on_error='skip'")
    n_warnings = sum(issubclass(w.category, recordio.RecordIOWarning) for w in caught)
    assert skipped == n_warnings == int(exp.truncated)

    # the index: whole lines only, keys 0..k-1, each naming a complete record
    if not idx.exists():  # the .rec is opened first: killed between the two opens
        assert data == b""
        return exp
    text = idx.read_text()
    assert text == "" or text.endswith("\n"), f"the .idx ends in a partial line: {text[-40:]!r}"
    with recordio.MXIndexedRecordIO(str(idx), str(rec), "r") as r:
        keys = r.keys
        assert keys == list(range(len(keys)))
        assert len(keys) <= len(exp.complete), (
            f"the .idx names {len(keys)} records, only {len(exp.complete)} are complete"
        )
        for key in keys:
            assert r.idx[key] == exp.offsets[key], f"key {key}"
            assert r.read_idx(key) == exp.complete[key], f"key {key}"
    return exp


# -- the tests ------------------------------------------------------------------------------

KILLS = [
    Kill("spawn", 0.0, seed=1),  # before the interpreter has started: usually no files
    Kill("spawn", 0.12, seed=2),  # while importing, opening, or just after
    Kill("ready", 0.0, seed=3),  # files open, nothing or almost nothing written
    Kill("ready", 0.003, seed=4),
    Kill("wrote 10", 0.0, seed=5),
    Kill("large 1", 0.0, seed=6),  # while the first large record is encoded or flushed
    Kill("large 1", 0.001, seed=7),
    Kill("large 2", 0.0005, seed=8),
    Kill("large 3", 0.002, seed=9),
    Kill("wrote 300", 0.005, seed=10),
    Kill("wrote 900", 0.0, seed=11),
    Kill("wrote 1500", 0.01, seed=12),
    Kill("wrote 2200", 0.02, seed=13),
]


@pytest.mark.parametrize("kill", KILLS, ids=[f"{k.after}+{k.delay * 1000:g}ms" for k in KILLS])
def test_killed_writer_leaves_readable_files(kill: Kill, tmp_path: Path) -> None:
    rec, idx, status = run_writer(tmp_path, kill)
    assert status == -signal.SIGKILL, "the writer finished before it was killed"
    check_files(rec, idx, kill.seed)


def test_writer_that_exits_cleanly_leaves_every_record(tmp_path: Path) -> None:
    rec, idx, status = run_writer(tmp_path, Kill("never", 0.0, seed=99))
    assert status == 0
    exp = check_files(rec, idx, seed=99)
    assert len(exp.complete) == N_RECORDS
    assert not exp.truncated
    with recordio.MXIndexedRecordIO(str(idx), str(rec), "r") as r:
        assert r.keys == list(range(N_RECORDS))


def test_every_kind_of_torn_tail_reads_back(tmp_path: Path) -> None:
    """The .rec a kill leaves is a prefix of the full file; cut one at many chosen points.

    A SIGKILL tears a record only while a write() system call is copying it, so
    the kills above mostly leave a .rec ending between flushes. This covers the
    torn tails deterministically: every cut below is a possible result of a
    kill (with the .idx holding the lines of the records then complete).
    """
    seed, n = 2024, 400
    full_rec, full_idx = tmp_path / "full.rec", tmp_path / "full.idx"
    records = list(generate(seed, n))
    with recordio.MXIndexedRecordIO(str(full_idx), str(full_rec), "w") as w:
        for key, data in enumerate(records):
            w.write_idx(key, data)
    data = full_rec.read_bytes()
    lines = full_idx.read_text().splitlines(keepends=True)
    starts = [int(line.split("\t")[1]) for line in lines]
    ends = [*starts[1:], len(data)]

    rng = random.Random(seed)
    cuts = {0, 4, 8, 9, len(data) - 1, len(data)}
    for k in rng.sample(range(n), 25):  # inside headers and just past them
        cuts.add(starts[k] + rng.choice([1, 3, 4, 7, 8, 9, 12]))
    cuts.update(rng.randrange(len(data)) for _ in range(15))
    for k in [k for k, r in enumerate(records) if len(r) > 64 << 10][:6]:  # in large records
        encoded = encode(records[k])
        part, parts = 0, []
        while part < len(encoded):  # the part headers of this record
            parts.append(part)
            length = struct.unpack_from("<I", encoded, part + 4)[0] & ((1 << 29) - 1)
            part += 8 + length + (-length % 4)
        for part in parts[1:3]:
            cuts.update(starts[k] + part + d for d in (0, 4, 8, 9))
        cuts.update(rng.randrange(starts[k], ends[k]) for _ in range(2))

    truncated = 0
    for cut in sorted(cuts):
        rec, idx = tmp_path / f"{cut}.rec", tmp_path / f"{cut}.idx"
        rec.write_bytes(data[:cut])
        idx.write_text("".join(line for line, end in zip(lines, ends, strict=True) if end <= cut))
        exp = check_files(rec, idx, seed)
        truncated += exp.truncated
        rec.unlink()
        idx.unlink()
    assert truncated >= 40, f"only {truncated} of {len(cuts)} cuts tore a record"


def test_generated_records_cover_what_the_kills_need() -> None:
    """The records include large multi-part ones and many small ones early in the file."""
    sizes = [len(r) for r in generate(KILLS[5].seed)]
    assert sum(s > MIB for s in sizes) >= 10
    assert any(s > MIB for s in sizes[:600])
    assert sum(len(_aligned_magic(r)) > 0 for r in generate(KILLS[5].seed, 500)) >= 20


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "child":
    _child(*sys.argv[2:])

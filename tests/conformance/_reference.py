"""Client side of the differential-testing harness: one MXNet 1.9.1 process per session.

:class:`MXNetReference` starts ``_ref_server.py`` under the reference Python
(``RECIO_MXNET_PYTHON``, default ``<repo>/.venv-mxnet/bin/python``) and sends it
calls over pipes. Why a long-lived process: importing MXNet takes about a second,
and MXNet needs numpy 1.23 while recio needs numpy 2, so they cannot share one
interpreter. Every wait has a timeout; a server that hangs is killed and one
that dies is restarted on the next call, so the harness never hangs a test.

Usage::

    mxnet_ref.call("recordio.write_records", str(path), [b"a", b""])  # ref/recordio.py
    mxnet_ref.exec("result = mx.recordio.pack(h, b'x')", h=(0, 1.0, 2, 0))
    out = mxnet_ref.outcome("recordio.read_all", str(path))  # Outcome, never raises MXNet's error

When the reference raises, the call raises :class:`ReferenceCallError` carrying the
MXNet-side exception's type name, class hierarchy names and message.
"""

from __future__ import annotations

import dataclasses
import os
import select
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import _wire

__all__ = [
    "ENV_VAR",
    "HarnessError",
    "MXNetReference",
    "Outcome",
    "ReferenceCallError",
    "default_python",
    "local_outcome",
]

ENV_VAR = "RECIO_MXNET_PYTHON"
HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
SERVER = HERE / "_ref_server.py"
START_TIMEOUT = 120.0
CALL_TIMEOUT = 60.0


def default_python() -> Path:
    """The reference interpreter: $RECIO_MXNET_PYTHON, else the repo's .venv-mxnet."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    return REPO_ROOT / ".venv-mxnet" / "bin" / "python"


class HarnessError(RuntimeError):
    """The harness itself failed: the server could not start, died, hung or sent garbage."""


class ReferenceCallError(Exception):
    """MXNet (or a ref module) raised; carries what it raised.

    ``type`` is the qualified name (``"mxnet.base.MXNetError"``), ``name`` the
    class name, ``mro`` the class names of its hierarchy (so ``"KeyError" in
    e.mro`` works), ``message`` its ``str()``, ``remote_traceback`` the text.
    """

    def __init__(self, type: str, name: str, mro: list[str], message: str, remote_traceback: str):
        super().__init__(f"{type}: {message}")
        self.type = type
        self.name = name
        self.mro = mro
        self.message = message
        self.remote_traceback = remote_traceback

    def __str__(self) -> str:
        return f"{self.type}: {self.message}\n--- reference traceback ---\n{self.remote_traceback}"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one side did with an input: returned ``value``, or raised ``error`` (a class name).

    ``mro`` lists the class names of the raised exception's hierarchy.
    """

    value: Any = None
    error: str | None = None
    message: str = ""
    mro: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    def raised(self, name: str) -> bool:
        """Whether this outcome is an exception that is (a subclass of) class `name`."""
        return self.error is not None and name in self.mro


def local_outcome(func: Any, *args: Any, **kwargs: Any) -> Outcome:
    """Run `func` here and describe the result the way :meth:`MXNetReference.outcome` does."""
    try:
        return Outcome(value=func(*args, **kwargs))
    except Exception as exc:
        mro = tuple(k.__name__ for k in type(exc).__mro__)
        return Outcome(error=type(exc).__name__, message=str(exc), mro=mro)


class MXNetReference:
    """A running reference server; see the module docstring.

    ``info`` holds the versions the server reported when it started.
    """

    def __init__(self, python: Path | str | None = None, timeout: float = CALL_TIMEOUT):
        self.python = Path(python) if python is not None else default_python()
        self.timeout = timeout
        self.info: dict[str, Any] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None
        if not self.python.exists():
            raise HarnessError(
                f"the MXNet 1.9.1 reference Python {self.python} does not exist "
                f"(set ${ENV_VAR} or run `make reference` to create .venv-mxnet)"
            )
        self.start()

    # -- process management ----------------------------------------------------

    def start(self) -> None:
        """Start the server and wait until it has imported MXNet and answered a ping."""
        self.stop()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
        self._proc = subprocess.Popen(
            [str(self.python), "-u", str(SERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=str(REPO_ROOT),
            env=env,
        )
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        os.set_blocking(self._proc.stdin.fileno(), False)
        os.set_blocking(self._proc.stdout.fileno(), False)
        self.info = self._request({"op": "ping"}, START_TIMEOUT)
        if self.info.get("mxnet") != "1.9.1":
            raise HarnessError(f"{self.python} runs MXNet {self.info.get('mxnet')}, not 1.9.1")

    def stop(self) -> None:
        """End the server: close its stdin, wait a little, then kill it."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    close = stop

    def stderr_tail(self, limit: int = 4000) -> str:
        """The last `limit` characters the server wrote to stderr (MXNet's prints land here)."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - limit))
        return self._stderr.read().decode("utf-8", "replace")

    # -- transport ---------------------------------------------------------------

    def _fail(self, what: str) -> HarnessError:
        tail = self.stderr_tail()
        proc = self._proc
        code = None
        if proc is not None:
            proc.kill()
            code = proc.wait(timeout=5)
        self.stop()
        return HarnessError(f"{what} (server exit code {code}); server stderr ends:\n{tail}")

    def _write_all(self, fd: int, data: bytes, deadline: float, what: str) -> None:
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(f"timed out sending {what} to the reference server")
            _, ready, _ = select.select([], [fd], [], left)
            if not ready:
                continue
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                continue
            except OSError as exc:  # BrokenPipeError: the server is gone
                raise self._fail(f"cannot send {what} to the reference server: {exc!r}") from exc

    def _read_exact(self, fd: int, n: int, deadline: float, what: str) -> bytes:
        chunks = []
        while n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(f"timed out after waiting for the reference to answer {what}")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(fd, min(n, 1 << 20))
            except BlockingIOError:
                continue
            if not chunk:
                raise self._fail(f"the reference server died while answering {what}")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _request(self, request: dict[str, Any], timeout: float | None = None) -> Any:
        if self._proc is None or self._proc.poll() is not None:
            if request["op"] != "ping":
                self.start()
            if self._proc is None:
                raise HarnessError("the reference server is not running")
        proc = self._proc
        assert proc.stdin is not None
        assert proc.stdout is not None
        what = request.get("name") or request["op"]
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            frame = _wire.dumps(request)
        except Exception as exc:
            raise HarnessError(f"cannot send the arguments of {what}: {exc!r}") from exc
        self._write_all(proc.stdin.fileno(), frame, deadline, what)
        fd = proc.stdout.fileno()
        (size,) = _wire.LENGTH.unpack(self._read_exact(fd, _wire.LENGTH.size, deadline, what))
        reply = _wire.loads(self._read_exact(fd, size, deadline, what))
        if reply["ok"]:
            return reply["value"]
        raise ReferenceCallError(
            reply["type"], reply["name"], reply["mro"], reply["message"], reply["traceback"]
        )

    # -- the API tests use --------------------------------------------------------

    def call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)`` of ``ref/<module>.py``, `name` being "module.function"."""
        return self._request({"op": "call", "name": name, "args": args, "kwargs": kwargs})

    def exec(self, code: str, /, *, results: tuple[str, ...] | None = None, **inputs: Any) -> Any:
        """Run `code` in the reference with `inputs` as variables (``mx``, ``np``, ``cv2`` given).

        Returns the variable ``result``; with ``results=("a", "b")`` a dict of those names.
        """
        names = ("result",) if results is None else tuple(results)
        got = self._request({"op": "exec", "code": code, "inputs": inputs, "results": names})
        return got["result"] if results is None else got

    def outcome(self, name: str, /, *args: Any, **kwargs: Any) -> Outcome:
        """Like :meth:`call` but an exception raised in the reference becomes an :class:`Outcome`.

        Harness failures still raise :class:`HarnessError`.
        """
        try:
            return Outcome(value=self.call(name, *args, **kwargs))
        except ReferenceCallError as exc:
            return Outcome(error=exc.name, message=exc.message, mro=tuple(exc.mro))

    def __enter__(self) -> MXNetReference:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

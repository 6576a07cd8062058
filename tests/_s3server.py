"""A real S3 API server for tests: moto's server mode in a subprocess, on loopback only.

The server is a separate process speaking HTTP, so s3fs, aiobotocore and boto3
go through their whole stack (signing, multipart uploads, ranged GETs) exactly
as against AWS. Nothing listens beyond 127.0.0.1, every wait is bounded, and the
process is stopped (terminate, then kill) however the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

__all__ = ["ACCESS_KEY", "SECRET_KEY", "moto_server"]

HOST = "127.0.0.1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
_START_TIMEOUT_S = 20.0
_STOP_TIMEOUT_S = 5.0
_ATTEMPTS = 3  # a free port can be taken between choosing it and the server binding it

# urllib must not send loopback requests to a proxy named in the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _answers(endpoint: str) -> bool:
    try:
        with _opener.open(f"{endpoint}/moto-api/", timeout=1.0) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=_STOP_TIMEOUT_S)


def _start(log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start one server on a free port; returns (process, endpoint) once it answers."""
    for _ in range(_ATTEMPTS):
        port = _free_port()
        endpoint = f"http://{HOST}:{port}"
        env = {**os.environ, "NO_PROXY": HOST, "no_proxy": HOST}
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            if _answers(endpoint):
                return proc, endpoint
            time.sleep(0.05)
        _stop(proc)  # exited (port taken) or never answered: try another port
    log = log_path.read_text(errors="replace")[-4000:]
    raise RuntimeError(f"moto server did not start on {HOST} after {_ATTEMPTS} tries:\n{log}")


@contextlib.contextmanager
def moto_server(log_path: Path) -> Iterator[str]:
    """Run ``python -m moto.server`` on 127.0.0.1 and yield its endpoint URL."""
    proc, endpoint = _start(log_path)
    try:
        yield endpoint
    finally:
        _stop(proc)

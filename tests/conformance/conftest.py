"""Fixtures of the conformance tests: ``mxnet_ref``, a session-wide MXNet 1.9.1 server.

Every test collected under this directory gets the ``conformance`` marker, so
``pytest -m "not conformance"`` runs without the reference venv. When the
reference Python is missing, tests that use ``mxnet_ref`` fail (not skip) and say
to run ``make reference``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the harness modules are imported by name, whatever the import mode
    sys.path.insert(0, str(HERE))

from _reference import ENV_VAR, HarnessError, MXNetReference, default_python  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.conformance)


@pytest.fixture(scope="session")
def mxnet_ref() -> Iterator[MXNetReference]:
    """The MXNet 1.9.1 reference server, started once and stopped at the end of the session."""
    python = default_python()
    if not python.exists():
        pytest.fail(
            f"conformance tests need the MXNet 1.9.1 reference Python, and {python} does not "
            f"exist: run `make reference` (or set ${ENV_VAR} to a Python with mxnet==1.9.1, "
            "numpy==1.23.5 and opencv-python-headless installed)",
            pytrace=False,
        )
    try:
        ref = MXNetReference(python)
    except HarnessError as exc:
        pytest.fail(f"could not start the MXNet reference server: {exc}", pytrace=False)
    try:
        yield ref
    finally:
        ref.stop()

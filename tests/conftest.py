"""Shared fixtures for recio's tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def rec_path(tmp_path: Path) -> Path:
    """Where a test's .rec goes; its .idx goes beside it with the same stem."""
    return tmp_path / "data.rec"

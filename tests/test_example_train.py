"""examples/train_torch.py: the short run packs its images, trains, and learns."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "train_torch.py"


@pytest.mark.slow
def test_quick_training_run_learns(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "drew and packed 480 images (4 classes)" in run.stdout
    assert (tmp_path / "shapes_train.rec").exists() and (tmp_path / "shapes_val.idx").exists()
    accuracy = float(re.findall(r"validation accuracy ([0-9.]+) after", run.stdout)[-1])
    assert accuracy >= 0.6, run.stdout  # chance is 0.25 (four balanced classes)
    epochs = re.findall(r"epoch \d/3: train loss ([0-9.]+)", run.stdout)
    assert len(epochs) == 3 and float(epochs[-1]) < float(epochs[0]), run.stdout

"""The ``recio`` command line: the dispatcher and im2rec's arguments, messages and exit codes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import recio
from recio import __main__ as cli
from recio.tools import SUBCOMMANDS, im2rec

GOLDEN_IMAGES = Path(__file__).resolve().parent / "golden" / "im2rec" / "images"


def make_folder(root: Path, n: int = 3) -> Path:
    for i in range(n):
        path = root / f"c{i % 2}" / f"{i}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        ok, buf = cv2.imencode(".jpg", np.full((8, 10, 3), 20 * i % 256, np.uint8))
        assert ok
        path.write_bytes(buf.tobytes())
    return root


# -- dispatcher -----------------------------------------------------------------------


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in SUBCOMMANDS)


def test_version_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"recio {recio.__version__}"
    assert cli.main([]) == 2
    assert cli.main(["nope"]) == 2
    assert "unknown subcommand 'nope'" in capsys.readouterr().err


def test_subcommand_help_is_the_tools_own(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["im2rec", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: recio im2rec")
    for flag in ["--list", "--recursive", "--no-shuffle", "--pass-through", "--pack-label"]:
        assert flag in out


@pytest.mark.parametrize("module", ["recio", "recio.tools.im2rec"])
def test_runs_as_a_module(module: str) -> None:
    args = [sys.executable, "-m", module] + (["im2rec"] if module == "recio" else [])
    proc = subprocess.run([*args, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "--num-thread" in proc.stdout


# -- im2rec: exit codes ---------------------------------------------------------------


def test_list_then_pack_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_folder(tmp_path / "img")
    assert im2rec.main(["--list", "--recursive", str(tmp_path / "d"), str(root)]) == 0
    assert im2rec.main(["--num-thread", "2", str(tmp_path / "d"), str(root)]) == 0
    err = capsys.readouterr().err
    assert f"wrote {tmp_path / 'd.rec'}: 3 images, 0 skipped" in err
    assert (tmp_path / "d.idx").read_text().count("\n") == 3


def test_quiet_prints_nothing_when_all_is_well(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_folder(tmp_path / "img")
    assert im2rec.main(["-q", "--list", "--recursive", str(tmp_path / "d"), str(root)]) == 0
    assert im2rec.main(["-q", str(tmp_path / "d"), str(root)]) == 0
    assert capsys.readouterr() == ("", "")


def test_skipped_files_exit_1_and_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_folder(tmp_path / "img")
    (root / "c0" / "zz.jpg").write_text("not a jpeg")
    assert im2rec.main(["-q", "--list", "--recursive", str(tmp_path / "d"), str(root)]) == 0
    with (tmp_path / "d.lst").open("a") as f:
        f.write("garbage line\n")
    assert im2rec.main(["-q", str(tmp_path / "d"), str(root)]) == im2rec.EXIT_SKIPPED
    err = capsys.readouterr().err.splitlines()
    assert any(str(root / "c0" / "zz.jpg") in line and "not an image" in line for line in err)
    assert any(line.startswith(f"skipped line {tmp_path / 'd.lst'}:5:") for line in err)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chunks", "0"], "--chunks must be at least 1"),
        (["--train-ratio", "1.5"], "--train-ratio must be within 0..1"),
        (["--num-thread", "-1"], "--num-thread"),
        (["--resize", "-5"], "--resize must be"),
        (["--quality", "101"], "--quality must be"),
        (["--color", "2"], "invalid choice"),
        (["--encoding", ".bmp"], "invalid choice"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_options_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert im2rec.main([*args, str(tmp_path / "d"), str(tmp_path)]) == im2rec.EXIT_USAGE
    assert message in capsys.readouterr().err


def test_missing_root_or_list_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert im2rec.main(["--list", str(tmp_path / "d"), str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert im2rec.main([str(tmp_path / "d"), str(tmp_path)]) == 2
    assert "no .lst file for PREFIX" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_unwritable_output_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_folder(tmp_path / "img")
    prefix = tmp_path / "no" / "such" / "dir" / "d"
    assert im2rec.main(["--list", str(prefix), str(root)]) == im2rec.EXIT_OUTPUT_ERROR
    assert "error:" in capsys.readouterr().err


def test_ctrl_c_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_folder(tmp_path / "img")
    assert im2rec.main(["-q", "--list", str(tmp_path / "d"), str(root), "--recursive"]) == 0

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(im2rec, "pack_list", interrupted)
    assert im2rec.main([str(tmp_path / "d"), str(root)]) == im2rec.EXIT_INTERRUPTED
    assert "interrupted" in capsys.readouterr().err


# -- im2rec: options ------------------------------------------------------------------


def test_tutorial_style_flag_values_are_accepted() -> None:
    assert im2rec.normalize_argv(
        ["--list=1", "--recursive=True", "--shuffle=0", "--pass-through=no", "p", "r"]
    ) == ["--list", "--recursive", "--no-shuffle", "p", "r"]
    assert im2rec.normalize_argv(["--shuffle=1", "--", "--list=1"]) == [
        "--shuffle",
        "--",
        "--list=1",
    ]
    assert im2rec.normalize_argv(["--resize=256", "--list=maybe"]) == [
        "--resize=256",
        "--list=maybe",
    ]


def test_seed_tutorial_command_lines_run(tmp_path: Path) -> None:
    """The seeds' commands, written for older im2rec versions (MXNet 1.9.1 rejects them)."""
    root = make_folder(tmp_path / "img", 10)
    prefix = str(tmp_path / "caltech")
    args = ["--list=1", "--recursive=1", "--shuffle=1", "--test-ratio=0.2", prefix, str(root)]
    assert im2rec.main(["-q", *args]) == 0
    assert (tmp_path / "caltech.lst").read_text().count("\n") == 10  # test ratio ignored
    assert im2rec.main(["-q", "--num-thread=4", "--pass-through=1", prefix, str(root)]) == 0
    assert (tmp_path / "caltech.idx").read_text().count("\n") == 10


def test_test_ratio_without_train_ratio_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_folder(tmp_path / "img")
    assert im2rec.main(["--list", "--test-ratio", "0.2", str(tmp_path / "d"), str(root)]) == 0
    assert "--test-ratio 0.2 is ignored while --train-ratio is 1.0" in capsys.readouterr().err


def test_prefix_folder_packs_every_list_in_it(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    args = [
        "-q",
        "--list",
        "--recursive",
        "--train-ratio",
        "0.5",
        str(lists / "a"),
        str(GOLDEN_IMAGES),
    ]
    assert im2rec.main(args) == 0
    assert im2rec.main(["-q", "--pass-through", str(lists), str(GOLDEN_IMAGES)]) == 1  # broken.jpg
    assert sorted(p.name for p in lists.iterdir()) == [
        "a_train.idx",
        "a_train.lst",
        "a_train.rec",
        "a_val.idx",
        "a_val.lst",
        "a_val.rec",
    ]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_not_quiet() -> None:
    tty = FakeTerminal()
    out = im2rec._Reporter(tty, quiet=False)
    out.open_bar(10, "x.lst")
    for _ in range(10):
        out.tick()
    out.problem("skipped 'a.jpg': is empty")
    out.close_bar()
    text = tty.getvalue()
    assert "10/10" in text and "img/s" in text and "skipped 'a.jpg'" in text
    for stream, quiet in ((FakeTerminal(), True), (io.StringIO(), False)):
        r = im2rec._Reporter(stream, quiet)
        r.open_bar(10, "x.lst")
        assert r.bar is None

"""Control characters in names are shown escaped, never sent to the terminal (issue 20 item 12)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ortbench_tui.cli import main
from ortbench_tui.samples import resolve_model
from ortbench_tui.text import printable


def test_printable_escapes_control_characters():
    assert printable("esc\x1b[2Jx.onnx") == "esc\\x1b[2Jx.onnx"
    assert printable("a\nb") == "a\nb"  # messages keep their lines
    assert printable("a\nb\tc", one_line=True) == "a\\x0ab\\x09c"  # a name keeps its row
    assert printable("ok µs") == "ok µs"


def test_an_escape_sequence_in_a_model_file_name_does_not_reach_the_terminal(
    capsys, tmp_path: Path
):
    """`esc\\033[2Jx.onnx` once cleared the terminal through `ortbench run`'s output."""
    model = tmp_path / "esc\x1b[2Jx.onnx"
    shutil.copy(resolve_model("sample:tiny"), model)
    code = main(["run", str(model), "--runs", "20", "--warmup", "1", "--no-history"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "\x1b" not in out and "\x1b" not in err
    assert "esc\\x1b[2Jx" in out


def test_errors_naming_a_hostile_file_are_escaped(capsys, tmp_path: Path):
    missing = tmp_path / "gone\x1b[31m\nred.onnx"
    code = main(["run", str(missing), "--runs", "1", "--no-history"])
    err = capsys.readouterr().err
    assert code == 2
    assert "\x1b" not in err and "gone\\x1b[31m" in err

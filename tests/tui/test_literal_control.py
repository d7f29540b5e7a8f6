"""Control characters in text from users and files are shown escaped (issue 20 item 12)."""

from __future__ import annotations

from ortbench_tui.tui.literal import literal, literal_cells


def test_literal_text_shows_control_characters_escaped():
    """A file name holding an escape sequence corrupted the TUI; a newline split list rows."""
    assert literal("esc\x1b[2Jx.onnx").plain == "esc\\x1b[2Jx.onnx"
    assert literal("two\nlines", one_line=True).plain == "two\\x0alines"
    assert literal_cells(["a\nb"])[0].plain == "a\\x0ab"

"""The README is the user's contract: it must name every profile key and every command."""

from __future__ import annotations

from pathlib import Path

from ortbench_tui.cli import COMMANDS
from ortbench_tui.profile import SECTIONS, field_specs

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_profile_key_is_documented():
    for section in SECTIONS:
        for key, _meta, _default in field_specs(section):
            assert f"`{section}.{key}`" in README, f"{section}.{key} missing from README"


def test_every_command_is_documented():
    for name in COMMANDS:
        if name != "tui":
            assert f"ortbench {name}" in README, f"`ortbench {name}` missing from README"


def test_setup_commands_are_documented():
    assert "make run" in README and "make test" in README


def test_the_code_points_only_at_sections_architecture_md_has():
    """Docstrings and comments point into the repository (ARCHITECTURE.md §N), never at a
    design note that is not in it."""
    import re

    root = Path(__file__).resolve().parents[2]
    architecture = (root / "ARCHITECTURE.md").read_text()
    sections = set(re.findall(r"^#+ (§[\d.]+)", architecture, re.M))
    sections |= set(re.findall(r"\*\*(§[\d.]+) ", architecture))
    assert "[ARCHITECTURE.md](ARCHITECTURE.md)" in README
    pointers, outside = set(), []
    for path in [*(root / "ortbench_tui").rglob("*.py"), *(root / "tests").rglob("*.py")]:
        text = path.read_text()
        pointers |= set(re.findall(r"ARCHITECTURE\.md (§[\d.]*\d)", text))
        if re.search(r"\bDESIGN(\.md| \d)", text):
            outside.append(str(path.relative_to(root)))
    assert pointers and pointers <= sections, sorted(pointers - sections)
    assert not outside, outside

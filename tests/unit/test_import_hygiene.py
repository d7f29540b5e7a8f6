"""Layers hold: no module outside the TUI loads Textual, and every engine module is under contract.

import-linter (run by `make test`, contracts in pyproject.toml) checks the static imports; these
tests check what really happens at run time, and that a new module cannot slip past the contracts.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import ortbench_tui

ROOT = Path(__file__).resolve().parents[2]
FACES = ("ortbench_tui.tui", "ortbench_tui.commands", "ortbench_tui.cli", "ortbench_tui.__main__")
"""Top-level packages and modules that are not the engine."""
ABOVE_ENGINE = ("ortbench_tui.bench", "ortbench_tui.fleet", *FACES)


def all_modules() -> list[str]:
    return sorted(
        m.name for m in pkgutil.walk_packages(ortbench_tui.__path__, prefix="ortbench_tui.")
    )


def non_tui_modules() -> list[str]:
    return [m for m in all_modules() if not m.startswith("ortbench_tui.tui")]


def test_the_package_walk_finds_the_layers():
    names = all_modules()
    assert "ortbench_tui.profile" in names
    assert "ortbench_tui.bench.runner" in names
    assert any(m.startswith("ortbench_tui.tui.") for m in names)


def test_no_module_outside_the_tui_imports_textual():
    modules = non_tui_modules()
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_engine_module_is_under_the_engine_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    engine_contract = next(
        c for c in config["contracts"] if c["name"].startswith("The engine imports neither")
    )
    listed = set(engine_contract["source_modules"])
    top_level = {
        m
        for m in all_modules()
        if m.count(".") == 1 and not m.startswith(ABOVE_ENGINE) and m != "ortbench_tui.__init__"
    }
    missing = sorted(top_level - listed)
    assert not missing, f"add these engine modules to the import-linter contract: {missing}"


ENGINE_AT_START = ("onnx", "onnxruntime", "ml_dtypes", "numpy", "textual", "ray")
"""Packages the CLI must not import before a command runs (README "Set-up", start-up)."""
ENGINE_MODULES_AT_START = (
    "ortbench_tui.bench",
    "ortbench_tui.fleet",
    "ortbench_tui.tui",
    "ortbench_tui.session",
    "ortbench_tui.feeds",
    "ortbench_tui.samples.generated",
    "ortbench_tui.precision",
)
"""ortbench's own modules that import the packages above (or start processes)."""


def engine_imported_by(code: str) -> list[str]:
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"heavy = {ENGINE_AT_START!r}\n"
        f"ours = {ENGINE_MODULES_AT_START!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy"
        " or m.startswith(ours))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported: list[str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return imported


def test_building_the_cli_parser_imports_no_engine():
    """Every command's arguments are declared without its engine: that is `ortbench`'s start."""
    code = "from ortbench_tui.cli import build_parser\nbuild_parser()"
    assert engine_imported_by(code) == []


def test_ortbench_help_imports_no_engine():
    code = (
        "from ortbench_tui.cli import main\n"
        "for argv in (['--help'], ['run', '--help'], ['trace', '--help'], ['fleet', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
    )
    assert engine_imported_by(code) == []


def test_no_module_imports_another_modules_private_names():
    """What two modules share is public in one of them (`fileio.slug`, not three `_slug`s)."""
    import ast

    offenders = []
    for path in sorted((ROOT / "ortbench_tui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            ours = isinstance(node, ast.ImportFrom) and (
                node.level > 0 or (node.module or "").startswith("ortbench_tui")
            )
            if ours:
                private = [a.name for a in node.names if a.name.startswith("_")]
                private = [n for n in private if not (n.startswith("__") and n.endswith("__"))]
                if private:
                    offenders.append(f"{path.relative_to(ROOT)}: {', '.join(private)}")
    assert not offenders, offenders


def test_ortbench_alone_declares_only_the_tui_command():
    """`ortbench` with no arguments opens the workbench without importing any other command's
    module (the full parser costs ~35 ms before the first frame), with the arguments
    `ortbench tui` gets."""
    probe = (
        "import json, sys\n"
        "import ortbench_tui.commands.tui as tui\n"
        "seen = []\n"
        "tui.execute = lambda args: seen.append(args) or 0\n"
        "from ortbench_tui.cli import main\n"
        "assert main([]) == 0\n"
        "commands = sorted(m for m in sys.modules if m.startswith('ortbench_tui.commands.'))\n"
        "args = {k: v for k, v in vars(seen[0]).items() if k != '_module'}\n"
        "print(json.dumps([commands, args, seen[0]._module.__name__]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    commands, args, module = json.loads(proc.stdout.strip().splitlines()[-1])
    assert commands == ["ortbench_tui.commands.tui"]
    from ortbench_tui.cli import build_parser

    full = vars(build_parser().parse_args(["tui"]))
    assert module == full.pop("_module").__name__ == "ortbench_tui.commands.tui"
    assert args == full

"""`ortbench tui` (also `ortbench` with no arguments): open the terminal workbench."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import OrtbenchError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--models",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder of .onnx models to list (repeatable); ./models is always listed",
    )
    parser.add_argument(
        "--profiles",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder of .toml profiles (repeatable; the first one receives new profiles); "
        "./profiles and the shipped profiles are always listed",
    )


def execute(args: argparse.Namespace) -> int:
    for folder in [*args.models, *args.profiles]:
        if not Path(folder).is_dir():
            raise OrtbenchError(f"not a folder: {folder}")
    # Textual is imported here, never at CLI start-up: the engine commands stay light.
    from ..bench.parent import set_parent_process
    from ..tui.app import make_app

    app = make_app(model_dirs=args.models, profile_dirs=args.profiles, cwd=Path(os.getcwd()))
    # multiprocessing's resource tracker starts with the first child, from a thread of the
    # running app (`bench.parent.ensure_spawn_ready`, ARCHITECTURE.md §6.2), not before the
    # first frame.
    set_parent_process("the ortbench UI")
    app.catch_hang_up = True
    app.run()
    return int(app.return_code or 0)

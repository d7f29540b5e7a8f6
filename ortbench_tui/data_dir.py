"""Where ortbench keeps what it writes for a user: $ORTBENCH_DATA_DIR, else platformdirs' user
data dir. The history (`results/`), the user's profiles, saved inputs and the workbench's own
files are folders in it. Light on purpose: the TUI reads it before its first frame."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """$ORTBENCH_DATA_DIR if set, else the platform's user data dir for ortbench."""
    root = os.environ.get("ORTBENCH_DATA_DIR")
    if not root:
        import platformdirs

        root = platformdirs.user_data_dir("ortbench")
    return Path(root)

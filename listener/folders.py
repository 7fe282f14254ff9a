"""Whether a folder listener must write could be created and written, judged without touching
anything (for `listener check`; a run probes for real, see listener.preflight)."""

from __future__ import annotations

import os
from pathlib import Path


def creatable_problem(folder: Path) -> str | None:
    """What stops ``folder`` from being created or written, said after its name ("cannot be
    created: /x is a file"), or None: judged by its nearest existing ancestor."""
    ancestor = folder
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"cannot be created: {ancestor} is a file"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return "is not writable" if ancestor == folder else f"cannot be created in {ancestor}"
    return None

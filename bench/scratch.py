"""A scratch folder for one benchmark run, removed afterwards."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def in_scratch(name: str, run: Callable[[Path], T]) -> T:
    work = Path(tempfile.mkdtemp(prefix=f"bantin-bench-{name}-"))
    try:
        return run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

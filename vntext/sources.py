"""Where the data files bantin reads from underthesea are: found, not imported, so that
reading them does not load underthesea's NLP pipeline."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path


@cache
def underthesea_dir() -> Path:
    spec = importlib.util.find_spec("underthesea")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("underthesea is not installed")
    return Path(next(iter(spec.submodule_search_locations)))

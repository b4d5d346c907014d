"""Read the shared corpus at benchmark time (never copied into the repository)."""

from __future__ import annotations

import os
import random
from pathlib import Path

CORPUS = Path(os.environ.get("BANTIN_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
SENTENCES = CORPUS / "ud-vtb-sentences.txt"
ATTRIBUTION = (
    "Text: UD Vietnamese VTB sentences (Nguyen et al. 2009), CC BY-SA 4.0, from ../shared/corpus"
)


def sentences() -> list[str]:
    if not SENTENCES.is_file():
        raise SystemExit(f"corpus not found at {SENTENCES} (set BANTIN_CORPUS)")
    return [line.strip() for line in SENTENCES.read_text(encoding="utf-8").splitlines() if line.strip()]


def pages_of(lines: list[str], per_page: int, rng: random.Random | None = None) -> list[list[str]]:
    """Group sentences into pages of ``per_page`` sentences, in paragraphs of three."""
    order = list(lines)
    if rng:
        rng.shuffle(order)
    pages = []
    for start in range(0, len(order) - per_page + 1, per_page):
        chunk = order[start : start + per_page]
        pages.append([" ".join(chunk[i : i + 3]) for i in range(0, len(chunk), 3)])
    return pages

"""Deskew: a page scanned askew, read again straightened, its words placed back.

Tesseract's layout analysis can lose half of a dense page scanned 1.5° askew (a held-out
synthetic page read 338 of its 712 words; straightened, all 712). A page whose reading
left ink unread (pipeline.coverage) is straightened by the angle at which its rows of
ink stand sharpest (a projection profile, as unpaper and Leptonica find skew) and read
again. The words of that reading are placed back on the page as scanned (each box turned
back about the page's centre), so that the page image, its text layer and every stored
box keep the scan's own coordinates; the lines are read again on the straight page first
(pipeline.reread), where a line is a row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from pipeline.coverage import ink_image

MOST = 3.0  # degrees: the largest skew looked for
COARSE = 0.5  # degrees between the angles tried first,
FINE = 0.1  # then about the best of them
LEAST = 0.3  # degrees: a page less askew is read as it is

_BBOX = re.compile(r"bbox (-?\d+) (-?\d+) (-?\d+) (-?\d+)")


def skew_angle(image: Path) -> float:
    """The angle (degrees, counter-clockwise as PIL turns) that straightens the page's
    rows of ink: the one whose rows' ink is most unevenly spread (sum of squares)."""
    ink, _ = ink_image(image)

    def sharpness(angle: float) -> float:
        turned = ink.rotate(angle, resample=Image.Resampling.BILINEAR)
        rows = turned.resize((1, ink.height), Image.Resampling.BOX)
        return float(sum(v * v for v in rows.tobytes()))

    def best(angles: list[float]) -> float:
        return max(angles, key=lambda a: (sharpness(a), -abs(a)))

    coarse = best([k * COARSE for k in range(-round(MOST / COARSE), round(MOST / COARSE) + 1)])
    steps = round(COARSE / FINE)
    return round(best([coarse + k * FINE for k in range(-steps + 1, steps)]), 2)


@dataclass(frozen=True)
class Deskewed:
    """The page straightened: its grey raster, the angle turned, and the page's size."""

    image: Path
    angle: float
    width: int
    height: int

    def placed_back(self, hocr: str) -> str:
        """The hOCR with every box turned back onto the page as scanned: each box's corners
        turned back about the page's centre, the box around them, within the page."""
        turn = math.radians(self.angle)
        cos, sin = math.cos(turn), math.sin(turn)
        cx, cy = self.width / 2, self.height / 2

        def back(match: re.Match[str]) -> str:
            x0, y0, x1, y1 = (int(v) for v in match.groups())
            xs, ys = [], []
            for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
                dx, dy = x - cx, y - cy
                xs.append(cx + dx * cos - dy * sin)
                ys.append(cy + dx * sin + dy * cos)
            return (f"bbox {max(0, round(min(xs)))} {max(0, round(min(ys)))} "
                    f"{min(self.width, round(max(xs)))} {min(self.height, round(max(ys)))}")

        return _BBOX.sub(back, hocr)


def deskewed(read: Path, workdir: Path) -> Deskewed | None:
    """The page Tesseract reads (``read``) straightened, or None when it stands straight."""
    angle = skew_angle(read)
    if abs(angle) < LEAST:
        return None
    with Image.open(read) as page:
        grey = page.convert("L")
    target = workdir / "deskewed.pgm"
    grey.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255).save(target, "PPM")
    return Deskewed(target, angle, grey.width, grey.height)

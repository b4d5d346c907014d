"""Coverage: did OCR read everything on the page that has ink? A reading can lose text
without a word said: a grey, noisy page binarised badly reads as empty, or lines vanish.
Where the page has ink, compared on a coarse grid of cells with where the hOCR has words,
what is left is unread. The page is then read again another way (Sauvola binarisation)
and the better reading kept; what stays unread is recorded with the page, so that
``bantin report pages`` can name the regions to re-scan.

Ink is judged locally (a pixel clearly darker than the page around it), so a shaded or
unevenly lit background is no ink and small specks are not text."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

from archive.hocr import word_boxes

WORKING_WIDTH = 600  # px: the page is judged at about 70 dpi, fast and blind to noise
CELL = 10  # px of the working image per grid cell
DARKER = 28  # grey levels darker than the local background that count as ink
INK_SHARE = 0.04  # of a cell's pixels inked for the cell to hold ink
MIN_REGION = 6  # cells: smaller inked regions are specks, rules or dots, not text
UNREAD_SHARE = 0.2  # of the inked cells left unread that make a reading doubtful


Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class InkMap:
    """The page's inked cells (column, row), and the raster pixels per working pixel."""

    cells: frozenset[tuple[int, int]]
    scale: float

    @classmethod
    def of(cls, image: Path) -> InkMap:
        ink, scale = ink_image(image)
        columns, rows = -(-ink.width // CELL), -(-ink.height // CELL)
        # a cell's ink share: the cell's mean after shrinking the binary map to one pixel per cell
        shares = ink.resize((columns, rows), Image.Resampling.BOX, reducing_gap=None)
        cells = {(k % columns, k // columns) for k, v in enumerate(shares.tobytes()) if v > 255 * INK_SHARE}
        return cls(frozenset(_regions(cells, MIN_REGION)), scale)

    def reading(self, hocr: str) -> Reading:
        """How much of the ink a reading's words cover; the unread regions (raster boxes)."""
        read: set[tuple[int, int]] = set()
        span = self.scale * CELL
        for word in word_boxes(hocr):
            for column in range(int(word.x0 / span) - 1, int(word.x1 / span) + 2):
                for row in range(int(word.y0 / span) - 1, int(word.y1 / span) + 2):
                    read.add((column, row))
        regions = [r for r in _components(set(self.cells - read)) if len(r) >= MIN_REGION]
        boxes = [_box(region, span) for region in regions]
        return Reading(len(self.cells), boxes, sum(len(region) for region in regions))


def ink_image(image: Path) -> tuple[Image.Image, float]:
    """The page's ink (255) at the working width, and the raster pixels per working pixel."""
    with Image.open(image) as page:
        width, height = page.size
        if page.format == "JPEG":  # libjpeg scales as it decodes: a fraction of a full decode
            page.draft("L", (WORKING_WIDTH, height * WORKING_WIDTH // width))
        grey = page.convert("L")
    scale = width / WORKING_WIDTH
    small = grey.resize((WORKING_WIDTH, max(1, round(height / scale))), Image.Resampling.BOX)
    small = small.filter(ImageFilter.GaussianBlur(0.6))
    background = small.filter(ImageFilter.BoxBlur(12))
    return ImageChops.subtract(background, small).point(lambda v: 255 if v > DARKER else 0), scale


def _box(region: set[tuple[int, int]], span: float) -> Box:
    columns = [c for c, _ in region]
    rows = [r for _, r in region]
    return (round(min(columns) * span), round(min(rows) * span), round((max(columns) + 1) * span),
            round((max(rows) + 1) * span))


def _components(cells: set[tuple[int, int]]) -> list[set[tuple[int, int]]]:
    """Cells grouped by touching (8 neighbours), a text line's letters one region."""
    left, groups = set(cells), []
    while left:
        start = left.pop()
        group, queue = {start}, deque([start])
        while queue:
            c, r = queue.popleft()
            for dc in (-1, 0, 1):
                for dr in (-1, 0, 1):
                    near = (c + dc, r + dr)
                    if near in left:
                        left.remove(near)
                        group.add(near)
                        queue.append(near)
        groups.append(group)
    return groups


def _regions(cells: set[tuple[int, int]], smallest: int) -> set[tuple[int, int]]:
    return {cell for group in _components(cells) if len(group) >= smallest for cell in group}


@dataclass(frozen=True)
class Reading:
    """How much of the page's ink a reading covers."""

    inked: int
    unread: list[Box]
    unread_cells: int

    @property
    def share(self) -> float:
        """The inked cells left unread (0 on a page without ink)."""
        return self.unread_cells / self.inked if self.inked else 0.0

    @property
    def doubtful(self) -> bool:
        return self.share > UNREAD_SHARE

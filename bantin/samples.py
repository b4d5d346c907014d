"""Render Vietnamese bulletin pages: the demo's, the tests' and the benchmarks' scans.

The text is written for the project (``bantin/samples/*.txt``) or, in benchmarks,
read from ``../shared/corpus``. Pages are drawn with a font that has Vietnamese
glyphs (DejaVu or Noto); Liberation fonts lack them and would render boxes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
)
BOLD_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerifBold.ttf",
)
PAGE_BREAK = "---"
A4_INCHES = (8.27, 11.69)


@dataclass(frozen=True)
class SampleIssue:
    """One sample bulletin: its pages as lists of paragraphs (first page starts with the masthead)."""

    name: str
    pages: list[list[str]]


def find_font(candidates: Sequence[str] = FONT_CANDIDATES) -> str:
    for path in candidates:
        if Path(path).is_file():
            return path
    raise FileNotFoundError(
        "no font with Vietnamese glyphs found; install fonts-dejavu-core (see scripts/setup.sh)"
    )


def parse_sample(name: str, text: str) -> SampleIssue:
    pages: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip() == PAGE_BREAK:
            pages.append([])
        elif line.strip():
            pages[-1].append(line.strip())
    return SampleIssue(name=name, pages=[p for p in pages if p])


def sample_issues() -> list[SampleIssue]:
    """The bulletins shipped with bantin (text written for the project)."""
    folder = resources.files("bantin") / "samples"
    return [
        parse_sample(entry.name.removesuffix(".txt"), entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".txt")
    ]


def wrap_words(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy line breaking: as many words on a line as ``measure`` says fit in ``width``."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and measure(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    return wrap_words(text, width, lambda line: float(draw.textlength(line, font=font)))


def render_page(
    paragraphs: Iterable[str],
    dpi: int = 150,
    masthead_lines: int = 0,
    noise: float = 0.0,
    seed: int = 0,
) -> Image.Image:
    """Draw paragraphs on a white A4 page; the first ``masthead_lines`` are set large and bold.

    ``noise`` (0..1) adds scan-like blur, speckles and a small skew.
    """
    width, height = int(A4_INCHES[0] * dpi), int(A4_INCHES[1] * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    body = ImageFont.truetype(find_font(), size=max(8, round(dpi * 0.16)))
    head = ImageFont.truetype(find_font(BOLD_FONT_CANDIDATES), size=max(10, round(dpi * 0.22)))
    margin = int(dpi * 0.8)
    y = margin
    for i, paragraph in enumerate(paragraphs):
        font = head if i < masthead_lines else body
        line_height = int(font.size * 1.45)
        for line in _wrap(draw, paragraph, font, width - 2 * margin):
            if y + line_height > height - margin:
                break
            draw.text((margin, y), line, font=font, fill=0)
            y += line_height
        y += line_height // 2
    if noise > 0:
        page = _degrade(page, noise, seed)
    return page


def _degrade(page: Image.Image, noise: float, seed: int) -> Image.Image:
    rng = random.Random(seed)
    page = page.rotate(rng.uniform(-1.0, 1.0) * noise, fillcolor=255, resample=Image.Resampling.BICUBIC)
    page = page.filter(ImageFilter.GaussianBlur(radius=0.6 * noise))
    pixels = page.load()
    assert pixels is not None
    w, h = page.size
    for _ in range(int(w * h * 0.0005 * noise)):
        pixels[rng.randrange(w), rng.randrange(h)] = rng.choice((0, 90, 200))
    return page


def render_issue(issue: SampleIssue, dpi: int = 150, noise: float = 0.0,
                 cover_title: bool = False) -> list[Image.Image]:
    """The issue's pages: each page's first paragraph (its article's title) set large, and
    the cover's masthead and issue line; ``cover_title``: the cover's article title too
    (as the bulletin sets it; without, the cover is a page no title marks out)."""
    return [
        render_page(paras, dpi=dpi, masthead_lines=_large_lines(n, cover_title), noise=noise, seed=n)
        for n, paras in enumerate(issue.pages)
    ]


def _large_lines(page: int, cover_title: bool) -> int:
    return (3 if cover_title else 2) if page == 0 else 1


def save_image_pdf(pages: Sequence[Image.Image], path: Path, dpi: int = 150) -> Path:
    """An image-only PDF, as a scanner makes: one JPEG per page (grey pages stay grey, as a
    scanner's greyscale mode gives them), no text layer."""
    scans = [p if p.mode in ("L", "RGB") else p.convert("RGB") for p in pages]
    scans[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=scans[1:], quality=90)
    return path


def save_image_folder(pages: Sequence[Image.Image], folder: Path, ext: str = "png") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(pages, start=1):
        page.save(folder / f"trang-{n}.{ext}")
    return folder


def save_tiff(pages: Sequence[Image.Image], path: Path, dpi: int = 150) -> Path:
    pages[0].save(
        path, "TIFF", save_all=True, append_images=list(pages[1:]),
        compression="tiff_deflate", dpi=(dpi, dpi),
    )
    return path


def save_text_pdf(issue: SampleIssue, path: Path, cover_title: bool = False) -> Path:
    """A born-digital PDF with a real text layer (fonts embedded), as recent issues are;
    large lines as ``render_issue`` sets them."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("BantinSerif", find_font()))
    pdfmetrics.registerFont(TTFont("BantinSerifBold", find_font(BOLD_FONT_CANDIDATES)))
    pdf = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    for n, paragraphs in enumerate(issue.pages):
        y = height - 60
        for i, paragraph in enumerate(paragraphs):
            bold = i < _large_lines(n, cover_title)
            font, size = ("BantinSerifBold", 15) if bold else ("BantinSerif", 11)
            words, line = paragraph.split(), ""
            for word in [*words, None]:
                trial = f"{line} {word}".strip() if word else line
                if word is None or pdfmetrics.stringWidth(trial, font, size) > width - 120:
                    pdf.setFont(font, size)
                    pdf.drawString(60, y, line)
                    y -= size * 1.5
                    line = word or ""
                else:
                    line = trial
            y -= size * 0.5
        pdf.showPage()
    pdf.save()
    return path


def write_demo_scans(folder: Path, dpi: int = 200) -> list[Path]:
    """One sample issue in each input kind bantin ingests; returns the paths to ingest."""
    folder.mkdir(parents=True, exist_ok=True)
    issues = sample_issues()
    kinds = ["image-pdf", "image-folder", "tiff", "text-pdf"]
    paths: list[Path] = []
    for issue, kind in zip(issues, kinds, strict=False):
        name = f"ban-tin-{issue.name}"
        if kind == "text-pdf":
            paths.append(save_text_pdf(issue, folder / f"{name}.pdf", cover_title=True))
            continue
        pages = render_issue(issue, dpi=dpi, noise=0.3, cover_title=True)
        if kind == "image-pdf":
            paths.append(save_image_pdf(pages, folder / f"{name}.pdf", dpi=dpi))
        elif kind == "image-folder":
            paths.append(save_image_folder(pages, folder / name, ext="jpg"))
        else:
            paths.append(save_tiff(pages, folder / f"{name}.tif", dpi=dpi))
    return paths

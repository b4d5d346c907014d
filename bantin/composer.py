"""Compose bulletin issues as a printer sets them, with the truth of what is on each page.

A composed issue has a masthead and an optional table-of-contents box ("TRONG SỐ NÀY")
on page 1, running headers and page numbers on later pages, articles with section
labels, titles (in one column or across both), leads, bylines, photos with captions, and
articles continued on a later page ("Xem tiếp trang 3" / "Tiếp theo trang 1") or simply
running over a page break. It is drawn both as a scan (Pillow, at any dpi, with noise)
and as a born-digital PDF (reportlab): the same layout in points. Tests, benchmarks and
the demo use it; the truth (article titles, pages, body text) is what the segmenter is
measured against.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bantin.samples import wrap_words

PAGE_W, PAGE_H = 595.0, 842.0  # A4 in points
MARGIN = 48.0
GUTTER = 18.0
FAMILIES = {
    "dejavu-serif": ("dejavu/DejaVuSerif", "dejavu/DejaVuSerif-Bold", "dejavu/DejaVuSerif-Italic"),
    "dejavu-sans": ("dejavu/DejaVuSans", "dejavu/DejaVuSans-Bold", "dejavu/DejaVuSans-Oblique"),
    "noto-serif": ("noto/NotoSerif-Regular", "noto/NotoSerif-Bold", "noto/NotoSerif-Italic"),
    "noto-sans": ("noto/NotoSans-Regular", "noto/NotoSans-Bold", "noto/NotoSans-Italic"),
    "noto-serif-display": ("noto/NotoSerifDisplay-Regular", "noto/NotoSerifDisplay-Bold",
                           "noto/NotoSerifDisplay-Italic"),
    "noto-sans-display": ("noto/NotoSansDisplay-Regular", "noto/NotoSansDisplay-Bold",
                          "noto/NotoSansDisplay-Italic"),
}
FONT_DIR = Path("/usr/share/fonts/truetype")
MASTHEAD = "THÔNG TIN SINH HOẠT CHI BỘ"


@dataclass(frozen=True)
class ArticleSpec:
    title: str
    paragraphs: list[str]  # the lead first when ``lead`` is set
    section: str | None = None
    byline: str | None = None
    lead: bool = False  # the first paragraph is a lead, set in bold
    photo: str | None = None  # a caption: a photo with this caption follows the lead
    jump: bool = False  # continued on a later page after its second paragraph
    span: bool = False  # the title runs across both columns


@dataclass(frozen=True)
class IssueSpec:
    number: int
    month: int
    year: int
    articles: list[ArticleSpec]
    columns: int = 2
    family: str = "dejavu-serif"
    toc: bool = True
    body_size: float = 10.0
    title_scale: float = 1.55  # titles against the body size
    byline_align: str = "right"  # or "left"


@dataclass
class Line:
    """One drawn line of text, in points from the top-left of its page."""

    text: str
    x: float
    y: float  # baseline
    size: float
    style: int  # 0 regular, 1 bold, 2 italic
    kind: str  # masthead, header, folio, toc, section, title, body, byline, caption, note
    article: int | None = None


@dataclass
class ComposedPage:
    lines: list[Line] = field(default_factory=list)
    boxes: list[tuple[float, float, float, float, str]] = field(default_factory=list)  # rule/photo/frame


@dataclass(frozen=True)
class TruthArticle:
    title: str
    section: str | None
    byline: str | None
    pages: list[int]
    text: str  # body with its lead, as printed, one paragraph per line


@dataclass
class ComposedIssue:
    spec: IssueSpec
    pages: list[ComposedPage]

    def truth(self) -> list[TruthArticle]:
        out = []
        for i, art in enumerate(self.spec.articles):
            pages = sorted({n + 1 for n, p in enumerate(self.pages) for ln in p.lines
                            if ln.article == i and ln.kind == "body"})
            out.append(TruthArticle(art.title, art.section, art.byline, pages, "\n".join(art.paragraphs)))
        return out

    def body_words(self) -> list[tuple[int, int, str]]:
        """(page, article, word) of every body word as set, in reading order."""
        return [(n + 1, ln.article, w) for n, p in enumerate(self.pages) for ln in p.lines
                if ln.kind == "body" and ln.article is not None for w in ln.text.split()]


class _Fonts:
    def __init__(self, family: str) -> None:
        self.paths = [FONT_DIR / f"{name}.ttf" for name in FAMILIES[family]]
        self._cache: dict[tuple[int, float], ImageFont.FreeTypeFont] = {}

    def font(self, style: int, size: float) -> ImageFont.FreeTypeFont:
        key = (style, size)
        if key not in self._cache:
            # measured at 10x so widths in points keep their fractions
            self._cache[key] = ImageFont.truetype(str(self.paths[style]), size=round(size * 10))
        return self._cache[key]

    def width(self, text: str, style: int, size: float) -> float:
        return float(self.font(style, size).getlength(text)) / 10


def _wrap(fonts: _Fonts, text: str, style: int, size: float, width: float) -> list[str]:
    return wrap_words(text, width, lambda line: fonts.width(line, style, size))


@dataclass
class _Item:
    """A run of lines kept together in a column: (text, style, size, kind, align)."""

    lines: list[tuple[str, int, float, str, str]]
    article: int | None
    gap_before: float = 0.0
    photo: float = 0.0  # height of a photo drawn before the lines
    span: bool = False  # set across the full width, opening a new band


class _Flow:
    """Places items top to bottom in the columns of bands; a spanning item closes the band."""

    def __init__(self, spec: IssueSpec, fonts: _Fonts) -> None:
        self.spec, self.fonts = spec, fonts
        self.pages: list[ComposedPage] = []
        self.col_w = (PAGE_W - 2 * MARGIN - GUTTER * (spec.columns - 1)) / spec.columns
        self.new_page()

    def new_page(self) -> None:
        page = ComposedPage()
        self.pages.append(page)
        n = len(self.pages)
        top = MARGIN
        if n > 1:
            size = 8.0
            page.lines.append(Line(MASTHEAD.capitalize(), MARGIN, top + size,
                                   size, 2, "header"))
            right = f"Số {self.spec.number}/{self.spec.year}"
            page.lines.append(Line(right, PAGE_W - MARGIN - self.fonts.width(right, 2, size), top + size,
                                   size, 2, "header"))
            page.boxes.append((MARGIN, top + size + 4, PAGE_W - MARGIN, top + size + 4.6, "rule"))
            top += size + 16
        folio = str(n) if n % 2 else f"- {n} -"
        page.lines.append(Line(folio, (PAGE_W - self.fonts.width(folio, 0, 9)) / 2, PAGE_H - MARGIN / 2,
                               9, 0, "folio"))
        self.band_top = top
        self.col = 0
        self.y = [top] * self.spec.columns

    @property
    def bottom(self) -> float:
        return PAGE_H - MARGIN - 6

    def place(self, item: _Item) -> None:
        if item.span:
            top = max(self.y) + (item.gap_before if max(self.y) > self.band_top else 0)
            height = sum(size * 1.3 for _, _, size, _, _ in item.lines)
            if top + height > self.bottom - 60:
                self.new_page()
                top = self.band_top
            self._draw(item, MARGIN, top, PAGE_W - 2 * MARGIN)
            self.band_top = top + height + 6
            self.col, self.y = 0, [self.band_top] * self.spec.columns
            return
        # a heading is kept whole, with room for two lines of its text under it
        head = [ln[2] * 1.35 for ln in item.lines if ln[3] in ("section", "title")]
        if head and self.y[self.col] + sum(head) + item.gap_before + 4 * item.lines[-1][2] > self.bottom:
            self._next_column()
        first = True
        for line in item.lines:
            size = line[2]
            need = size * 1.35 + ((item.gap_before + item.photo) if first else 0)
            if self.y[self.col] + need > self.bottom:
                self._next_column()
            x = MARGIN + self.col * (self.col_w + GUTTER)
            if first:
                if self.y[self.col] > self.band_top:
                    self.y[self.col] += item.gap_before
                if item.photo:
                    self.pages[-1].boxes.append((x, self.y[self.col], x + self.col_w,
                                                 self.y[self.col] + item.photo, "photo"))
                    self.y[self.col] += item.photo + 4
                first = False
            self._draw(_Item([line], item.article), x, self.y[self.col], self.col_w)
            self.y[self.col] += size * 1.35

    def _next_column(self) -> None:
        if self.col + 1 < self.spec.columns:
            self.col += 1
        else:
            self.new_page()

    def _draw(self, item: _Item, x: float, top: float, width: float) -> None:
        y = top
        for text, style, size, kind, align in item.lines:
            w = self.fonts.width(text, style, size)
            left = x + {"left": 0.0, "right": width - w, "center": (width - w) / 2}[align]
            self.pages[-1].lines.append(Line(text, left, y + size, size, style, kind, item.article))
            y += size * (1.3 if item.span else 1.35)


def compose(spec: IssueSpec) -> ComposedIssue:
    """Lay the issue out twice: the second time with the page numbers the first found (the
    table of contents and the continuation notes name them)."""
    pages_of: dict[int, int] = {}
    jump_to: dict[int, int] = {}
    issue = _compose(spec, pages_of, jump_to)
    for _ in range(2):
        truth = issue.truth()
        pages_of = {i: t.pages[0] for i, t in enumerate(truth) if t.pages}
        jump_to = {i: t.pages[-1] for i, t in enumerate(truth) if spec.articles[i].jump and t.pages}
        issue = _compose(spec, pages_of, jump_to)
    return issue


def _compose(spec: IssueSpec, pages_of: dict[int, int], jump_to: dict[int, int]) -> ComposedIssue:
    fonts = _Fonts(spec.family)
    flow = _Flow(spec, fonts)
    full = PAGE_W - 2 * MARGIN
    size = spec.body_size
    head = _Item([(MASTHEAD, 1, 24.0, "masthead", "center"),
                  (f"Số {spec.number} - Tháng {spec.month}/{spec.year}", 0, 11.0, "masthead", "center")],
                 None, span=True)
    flow.place(head)
    flow.pages[0].boxes.append((MARGIN, flow.band_top - 2, PAGE_W - MARGIN, flow.band_top - 1, "rule"))
    flow.band_top += 8
    flow.y = [flow.band_top] * spec.columns
    if spec.toc:
        rows: list[tuple[str, int, float, str, str]] = [("TRONG SỐ NÀY", 1, 10.0, "toc", "left")]
        for i, art in enumerate(spec.articles):
            entry = art.title if len(art.title) < 70 else art.title[:66].rsplit(" ", 1)[0] + " …"
            rows.append((f"{entry} .... {pages_of.get(i, 1)}", 0, 9.0, "toc", "left"))
        top = flow.band_top
        flow.place(_Item(rows, None, span=True))
        flow.pages[0].boxes.append((MARGIN - 6, top - 4, PAGE_W - MARGIN + 6, flow.band_top - 2, "frame"))
        flow.band_top += 10
        flow.y = [flow.band_top] * spec.columns
    deferred: list[tuple[int, list[_Item]]] = []
    for i, art in enumerate(spec.articles):
        width = full if art.span else flow.col_w
        items = _article_items(fonts, art, i, width, flow.col_w, spec)
        if art.jump:
            cut = next((k for k, it in enumerate(items) if it.lines[0][3] == "body" and k >= 3), len(items))
            note = f"(Xem tiếp trang {jump_to.get(i, len(flow.pages) + 1)})"
            items, rest = items[:cut] + [_Item([(note, 2, size, "note", "right")], i)], items[cut:]
            cont = f"(Tiếp theo trang {pages_of.get(i, 1)})"
            deferred.append((i, [_Item([(cont, 2, size, "note", "left")], i, gap_before=6), *rest]))
        for item in items:
            flow.place(item)
        if deferred and i >= deferred[0][0] + 1 and len(flow.pages) >= 2 and i + 1 < len(spec.articles):
            # the continued part opens the next page
            flow.new_page()
            for item in deferred.pop(0)[1]:
                flow.place(item)
    for _, rest in deferred:
        flow.new_page()
        for item in rest:
            flow.place(item)
    return ComposedIssue(spec, flow.pages)


def _article_items(fonts: _Fonts, art: ArticleSpec, i: int, title_w: float, col_w: float,
                   spec: IssueSpec) -> list[_Item]:
    size = spec.body_size
    head: list[tuple[str, int, float, str, str]] = []
    if art.section:
        head.append((art.section.upper(), 1, size * 0.85, "section", "left"))
    title_size = size * spec.title_scale
    head += [(t, 1, title_size, "title", "left") for t in _wrap(fonts, art.title.upper() if i % 3 == 0
                                                               else art.title, 1, title_size, title_w)]
    items = [_Item(head, i, gap_before=14, span=art.span)]
    for k, para in enumerate(art.paragraphs):
        style = 1 if art.lead and k == 0 else 0
        lines = _wrap(fonts, para, style, size, col_w - 8)
        items.append(_Item([(ln, style, size, "body", "left") for ln in lines], i, gap_before=size * 0.4))
        if art.photo and k == 0:
            caption = _wrap(fonts, art.photo, 2, size * 0.85, col_w - 8)
            items.append(_Item([(c, 2, size * 0.85, "caption", "center") for c in caption], i,
                               gap_before=6, photo=col_w * 0.55))
    if art.byline:
        style = 1 if art.byline.isupper() else 2
        items.append(_Item([(art.byline, style, size, "byline", spec.byline_align)], i, gap_before=2))
    return items


# -- drawing -------------------------------------------------------------------------------------


def draw_scan(issue: ComposedIssue, dpi: int = 200, noise: float = 0.3, seed: int = 0) -> list[Image.Image]:
    """Each page as a grey scan at ``dpi``, with blur, speckles and a slight skew."""
    fonts = [FONT_DIR / f"{name}.ttf" for name in FAMILIES[issue.spec.family]]
    scale = dpi / 72.0
    out = []
    for n, page in enumerate(issue.pages):
        rng = random.Random(seed * 1000 + n)
        img = Image.new("L", (round(PAGE_W * scale), round(PAGE_H * scale)), 252)
        draw = ImageDraw.Draw(img)
        for x0, y0, x1, y1, kind in page.boxes:
            box = (x0 * scale, y0 * scale, x1 * scale, y1 * scale)
            if kind == "photo":
                draw.rectangle(box, fill=150)
                for _ in range(40):
                    cx, cy = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
                    r = rng.uniform(4, 30) * scale / 3
                    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=rng.randrange(60, 220))
            elif kind == "frame":
                draw.rectangle(box, outline=40, width=max(1, round(scale)))
            else:
                draw.rectangle(box, fill=30)
        for line in page.lines:
            font = ImageFont.truetype(str(fonts[line.style]), size=max(6, round(line.size * scale)))
            draw.text((line.x * scale, line.y * scale), line.text, font=font, fill=20, anchor="ls")
        if noise > 0:
            img = img.rotate(rng.uniform(-0.6, 0.6) * noise, fillcolor=252, resample=Image.Resampling.BICUBIC)
            img = img.filter(ImageFilter.GaussianBlur(radius=0.5 * noise))
            pixels = img.load()
            assert pixels is not None
            for _ in range(int(img.width * img.height * 0.0003 * noise)):
                pixels[rng.randrange(img.width), rng.randrange(img.height)] = rng.choice((0, 90, 200))
        out.append(img)
    return out


def save_scan_pdf(pages: Sequence[Image.Image], path: Path, dpi: int = 200) -> Path:
    """An image-only PDF of JPEG pages, as a scanner makes it."""
    import img2pdf

    blobs = []
    for page in pages:
        buf = io.BytesIO()
        page.save(buf, "JPEG", quality=85, dpi=(dpi, dpi))
        blobs.append(buf.getvalue())
    path.write_bytes(img2pdf.convert(blobs))
    return path


def save_born_digital(issue: ComposedIssue, path: Path) -> Path:
    """The issue as a born-digital PDF: the same layout, fonts embedded, a real text layer."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    names = []
    for k, name in enumerate(FAMILIES[issue.spec.family]):
        font_name = f"Composer-{issue.spec.family}-{k}"
        pdfmetrics.registerFont(TTFont(font_name, str(FONT_DIR / f"{name}.ttf")))
        names.append(font_name)
    pdf = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H))
    for page in issue.pages:
        for x0, y0, x1, y1, kind in page.boxes:
            if kind == "photo":
                pdf.setFillGray(0.6)
                pdf.rect(x0, PAGE_H - y1, x1 - x0, y1 - y0, stroke=0, fill=1)
            elif kind == "frame":
                pdf.setStrokeGray(0.2)
                pdf.rect(x0, PAGE_H - y1, x1 - x0, y1 - y0, stroke=1, fill=0)
            else:
                pdf.setFillGray(0.1)
                pdf.rect(x0, PAGE_H - y1, x1 - x0, y1 - y0, stroke=0, fill=1)
        pdf.setFillGray(0.05)
        for line in page.lines:
            pdf.setFont(names[line.style], line.size)
            pdf.drawString(line.x, PAGE_H - line.y, line.text)
        pdf.showPage()
    pdf.save()
    return path

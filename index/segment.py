"""Article segmentation: an issue's stored hOCR pages divided into its articles.

No OCR is run: the layout Tesseract (or the text layer) already gave is read again,
so a better segmenter improves old issues at the next reindex. Per page:

1. lines are put in reading order: lines spanning the page's columns split it into
   bands, and inside a band the left column is read before the right one;
2. each line is classed: masthead, running header, page number, table of contents
   ("TRONG SỐ NÀY" and the entries under it), continuation note ("Xem tiếp trang 3",
   "Tiếp theo trang 1"), photo caption, section label, title (set larger than the
   page's body text), byline, or body;
3. titles open articles; body lines join the article being read; text at the top of a
   page with no title of its own continues the article a note sent here, else the one
   the previous page ended with (it ran over the page break).

Masthead, headers, page numbers, contents, notes and captions are boilerplate: they
stay in the page text and belong to no article.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from archive.hocr import HocrLine, WordBox
from vntext import clean_text, fold

SEGMENTER_VERSION = 7
TITLE_SIZE = 1.3  # a title is set at least this much larger than the page's body text
# Tesseract's line height for a line in capitals is unreliable (a byline at body size can
# read 1.4x, a title 1.27x); their letters' width is not: a title's run 1.8-2.2x the body's
# (mixed case) width per letter, a byline's 1.2-1.5x.
CAPS_TITLE_WIDTH = 1.6
TITLE_NEXT = 1.15  # a title's second line may read a little smaller
HEADING_SIZE = 1.15  # a title in a block of its own may be set this little larger
MAX_TITLE_LINES = 4
CLOSERS = ("title", "section", "jump-out", "toc")  # what may follow an article's byline
EDGE = 0.09  # share of the page height where running headers and page numbers stand

MASTHEAD_NAMES = ("thong tin sinh hoat chi bo", "ban tin sinh hoat chi bo")
_MASTHEAD = re.compile("|".join(MASTHEAD_NAMES))
_ISSUE_LINE = re.compile(
    r"^(so \d+|thang \d+|ngay \d+|nam \d{4}|\d+/\d{4}|co quan|ban tuyen giao|tinh uy|luu hanh noi bo)"
)
_FOLIO = re.compile(r"^[\s\-–—.]*(trang\s*)?\d{1,3}[\s\-–—.]*$")
_TOC = re.compile(r"^(trong so nay|muc luc|doc trong so nay|noi dung)[\s:.]*$")  # the heading alone
_JUMP_OUT = re.compile(r"(xem )?tiep (o |sang )?trang (\d+)|xem trang (\d+)")
_JUMP_IN = re.compile(r"tiep theo (o |tu )?trang (\d+)|tiep theo ky truoc|tiep theo so truoc")
_CAPTION = re.compile(r"^\(?\s*anh\s*(:|minh hoa|tu lieu)|\(anh:")
_BYLINE = re.compile(r"^[-–(\s]*(theo\s+\S|nguon\s*:|pv\b|p\.v\b|ttxvn\b|ctv\b|bbt\b)")
_NUMBER = re.compile(r"[\d.,/%:\-–]*\d[\d.,/%:\-–]*$")  # "3.000", "12/2020", "-2-"
# "à?", "ạ.", "ở": words of one marked vowel (a speck reads as "s", "x" or "^")
_ONE_LETTER_WORD = re.compile(r"^\W*[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]\W*$",
                              re.IGNORECASE)
_TWO_LETTERS = re.compile(r"[^\W\d_].*[^\W\d_]")
_SENTENCE_BREAK = re.compile(r"[.!?…]\s+")  # a new sentence when a capital follows
_SENTENCE_END = re.compile(r"[.!?:…\"”)]$")


@dataclass
class Placed:
    """A line in reading order with what the segmenter made of it."""

    page: int
    line: HocrLine
    kind: str = "body"
    column: int = 0  # 0 spanning, 1.. the column within its band
    band: int = 0
    target: int | None = None  # the page a continuation note points to
    # the words of two letters or more: specks read as "`", "R" or "F4" beside a label do
    # not make it lower case
    words: list[str] = field(init=False)
    caps: bool = field(init=False)  # set in capitals
    width: float = field(init=False)  # width per letter

    def __post_init__(self) -> None:
        real = [w for w in self.line.words if _two_letters(w.text)]
        self.words = [w.text for w in real]
        self.caps = _caps(self.words)
        self.width = _char_width(real or self.line.words)


@dataclass
class Segment:
    """One article as found: its lines in reading order, over one or more pages."""

    title: list[Placed] = field(default_factory=list)
    section: Placed | None = None
    byline: list[Placed] = field(default_factory=list)
    body: list[Placed] = field(default_factory=list)
    jumped_to: int | None = None  # a note sent the rest to this page
    corrected_title: str | None = None  # an archivist's correction (issue.json history)

    @property
    def start(self) -> tuple[int, int]:
        first = (self.title or self.body)[0]
        return first.page, first.line.index


@dataclass
class PageLayout:
    n: int
    width: int
    height: int
    lines: list[HocrLine]


def reading_order(page: PageLayout) -> list[Placed]:
    """The page's lines in the order a reader takes them (bands, then columns)."""
    lines = page.lines
    if not lines:
        return []
    left = min(ln.x0 for ln in lines)
    right = max(ln.x1 for ln in lines)
    middle = (left + right) / 2
    slack = (right - left) * 0.04
    # A right column is lines of text starting at one left edge in the right half; bylines
    # and notes set to the right of a one-column page are too short to count.
    starts = [ln.x0 for ln in lines if ln.x0 > middle - slack and len(ln.words) >= 5]
    two_columns = any(sum(abs(x - edge) <= slack / 2 for x in starts) >= 2 for edge in starts)
    if not two_columns:
        return [Placed(page.n, ln, column=1) for ln in sorted(lines, key=lambda ln: (ln.y0, ln.x0))]

    def spans(ln: HocrLine) -> bool:
        return ln.x0 < middle - slack and ln.x1 > middle + slack

    placed: list[Placed] = []
    band: list[HocrLine] = []
    band_no = 0

    def flush() -> None:
        nonlocal band_no
        band_no += 1
        for col in (1, 2):
            chosen = [ln for ln in band if (ln.x0 < middle - slack) == (col == 1)]
            placed.extend(Placed(page.n, ln, column=col, band=band_no)
                          for ln in sorted(chosen, key=lambda ln: ln.y0))
        band.clear()

    for ln in sorted(lines, key=lambda ln: (ln.y0, ln.x0)):
        if spans(ln):
            flush()
            placed.append(Placed(page.n, ln, column=0, band=band_no))
        else:
            band.append(ln)
    flush()
    return placed


def _two_letters(word: str) -> bool:
    # most words pass the first test, far cheaper than the pattern
    return (len(word) >= 2 and word.isalpha()) or bool(_TWO_LETTERS.search(word))


def _caps(words: list[str]) -> bool:
    # the words hold two letters each at least; isupper looks at letters alone
    return bool(words) and "".join(words).isupper()


def _masthead(folded: str) -> bool:
    """The bulletin's name, also as OCR misreads its large display type ("SINH HO.VT")."""
    return bool(_MASTHEAD.search(folded)) or any(
        SequenceMatcher(None, folded, name).ratio() >= 0.8 for name in MASTHEAD_NAMES)


def _theo_lowercase(text: str) -> bool:
    """"theo chỉ định của bác sĩ." ends a paragraph; "Theo Báo Nhân Dân" is a byline."""
    words = text.split()
    return len(words) > 1 and fold(words[0].lower()).strip("-–( ") == "theo" and not words[1][:1].isupper()


def _noise(p: Placed) -> bool:
    """A line read from a rule, a photo's edge or specks: no word and no number in it."""
    return not p.words and not any(_NUMBER.match(w) or _ONE_LETTER_WORD.match(w)
                                   for w in p.line.text.split())


def _char_width(words: Sequence[WordBox]) -> float:
    """Width per letter of a line's words: its real words, so that specks and the gaps to
    them are left out."""
    return sum(w.x1 - w.x0 for w in words) / max(sum(len(w.text) for w in words), 1)


@dataclass(frozen=True)
class Body:
    """The body text's measures: line size, width per letter, line box height."""

    size: float
    width: float
    height: float


def body_of(lines: list[Placed]) -> Body | None:
    """Measured on lines of five words or more, when there are three such at least (a page
    holding only an article's last lines has too few to tell)."""
    long = [p for p in lines if len(p.line.words) >= 5]
    if len(long) < 3:
        return None
    return Body(statistics.median(p.line.size for p in long), statistics.median(p.width for p in long),
                statistics.median(p.line.y1 - p.line.y0 for p in long))


def _measures(p: Placed, body: Body) -> tuple[float, float]:
    """The line's size against the body's, by line height and by letter width (capitals are
    wider than the body's mixed case: that much is taken off)."""
    width = p.width / body.width
    return p.line.size / body.size, width * TITLE_SIZE / CAPS_TITLE_WIDTH if p.caps else width


def _larger(p: Placed, body: Body, factor: float) -> bool:
    """Set at least ``factor`` times the body size. Both measures must say so (Tesseract now
    and then gives a body line a title's height), except for capitals, whose height is not
    to be trusted."""
    size, width = _measures(p, body)
    return width >= factor if p.caps else min(size, width) >= factor


def _sliver(ln: HocrLine, tallest_first: list[HocrLine]) -> bool:
    """A thin line lying across a line at least twice its height (a title's marks)."""
    height = ln.y1 - ln.y0
    for q in tallest_first:
        if q.y1 - q.y0 < 2 * height:
            return False
        if min(ln.x1, q.x1) > max(ln.x0, q.x0) and min(ln.y1, q.y1) > max(ln.y0, q.y0):
            return True
    return False


def _heading_blocks(placed: list[Placed], body: Body) -> set[int]:
    """A title set only a little larger (from 1.15x) is told by standing in a block of its
    own in the page's layout: a few lines, all of them that large, and text after them."""
    blocks: dict[int, list[Placed]] = {}
    for p in placed:
        blocks.setdefault(p.line.block, []).append(p)
    last = placed[-1].line.block if placed else None
    return {block for block, lines in blocks.items() if block != last and len(lines) <= MAX_TITLE_LINES
            and all(_larger(p, body, HEADING_SIZE) for p in lines)}


def classify(every: list[Placed], page: PageLayout, issue_body: Body | None = None) -> None:
    """Class every line of one page in place (see the module's docstring). The page's body
    text is measured on the page, else on the whole issue (``issue_body``)."""
    body = body_of(every) or issue_body or Body(1.0, 1.0, 1.0)
    tallest_first = sorted((p.line for p in every), key=lambda ln: ln.y0 - ln.y1)
    for p in every:
        # specks, and slivers of marks Tesseract split off a title's line
        if _noise(p) or p.line.y1 - p.line.y0 < 0.5 * body.height or _sliver(p.line, tallest_first):
            p.kind = "noise"
    placed = [p for p in every if p.kind != "noise"]
    headings = _heading_blocks(placed, body)
    top, bottom = page.height * EDGE, page.height * (1 - EDGE)
    in_toc = False
    last_toc: HocrLine | None = None
    for i, p in enumerate(placed):
        ln = p.line
        folded = fold(ln.text.lower()).strip()
        larger = _larger(p, body, TITLE_SIZE)
        # the masthead opens page 1: a title naming the bulletin further down is a title
        opening = all(q.kind in ("masthead", "header", "folio") for q in placed[:i])
        if page.n == 1 and opening and (ln.y1 < page.height * 0.3) and (
            _masthead(folded) or (i > 0 and placed[i - 1].kind == "masthead"
                                         and _ISSUE_LINE.search(folded))
        ):
            p.kind = "masthead"
            continue
        # a running header is a short line; a page's first line of text may well begin
        # "Năm 2018, ..."
        if (ln.y1 < top or ln.y0 > bottom) and (_FOLIO.match(folded) or _MASTHEAD.search(folded)
                                                 or (_ISSUE_LINE.search(folded) and len(ln.words) <= 8)):
            p.kind = "folio" if _FOLIO.match(folded) else "header"
            continue
        if _FOLIO.match(folded) and len(ln.words) <= 3:
            p.kind = "folio"
            continue
        if _TOC.match(folded):
            p.kind, in_toc, last_toc = "toc", True, ln
            continue
        if in_toc and last_toc is not None:
            gap = ln.y0 - last_toc.y1
            height = max(last_toc.y1 - last_toc.y0, 1)  # entries may touch (born-digital boxes)
            if -0.5 * height <= gap < 1.2 * height and not larger:
                p.kind, last_toc = "toc", ln
                continue
            in_toc = False
        jump_in = _JUMP_IN.search(folded)
        jump_out = _JUMP_OUT.search(folded) if not jump_in else None
        if (jump_in or jump_out) and len(ln.words) <= 8:
            p.kind = "jump-in" if jump_in else "jump-out"
            digits = [g for g in (jump_in or jump_out).groups() if g and g.isdigit()]  # type: ignore[union-attr]
            p.target = int(digits[0]) if digits else None
            continue
        if _CAPTION.search(folded) and len(ln.words) <= 30:
            p.kind = "caption"
            continue
        if i and placed[i - 1].kind == "caption" and _centred(ln, placed, i) and not larger:
            p.kind = "caption"
            continue
        if p.caps and len(ln.words) <= 5 and _right_set(p, placed):
            p.kind = "byline"  # a name set against the right edge, however wide its letters
            continue
        if (larger or ln.block in headings) and len(ln.words) <= 20:
            p.kind = "title"
            continue
        if (i and placed[i - 1].kind == "title" and _larger(p, body, TITLE_NEXT)
                and ln.y0 - placed[i - 1].line.y1 < placed[i - 1].line.y1 - placed[i - 1].line.y0):
            p.kind = "title"
            continue
        if _BYLINE.match(folded) and len(ln.words) <= 8 and not _theo_lowercase(ln.text):
            p.kind = "byline"
            continue
        p.kind = "body"
    _prose_is_not_a_title(placed)
    _section_before_title(placed, body)
    _section_and_byline(placed)


def _prose_is_not_a_title(placed: list[Placed]) -> None:
    """Lines set large that make two sentences or more are a lead or a quote set large,
    not a title (titles do not end sentences inside them)."""
    i = 0
    while i < len(placed):
        j = i
        while j < len(placed) and placed[j].kind == "title":
            j += 1
        text = " ".join(p.line.text for p in placed[i:j]) + " "
        breaks = [m for m in _SENTENCE_BREAK.finditer(text) if text[m.end():m.end() + 1].isupper()]
        if j > i and len(breaks) >= 2:
            for p in placed[i:j]:
                p.kind = "body"
        i = max(j, i + 1)


def _section_before_title(placed: list[Placed], body: Body) -> None:
    """A short label in capitals read as a title's first line, though set clearly smaller
    than the title under it, is the section label."""
    for i, p in enumerate(placed[:-1]):
        after = placed[i + 1]
        if (p.kind == "title" and after.kind == "title" and (i == 0 or placed[i - 1].kind != "title")
                and p.caps and len(p.words) <= 6
                and min(_measures(p, body)) < 0.8 * min(_measures(after, body))):
            p.kind = "section"


def _centred(ln: HocrLine, placed: list[Placed], i: int) -> bool:
    """A line set in the middle of its column (a caption's second line), not at its left edge."""
    same = [p.line for p in placed if p.column == placed[i].column and p.band == placed[i].band]
    left = min(x.x0 for x in same)
    right = max(x.x1 for x in same)
    width = max(right - left, 1)
    return (ln.x0 - left) > 0.03 * width and abs((ln.x0 - left) - (right - ln.x1)) < 0.08 * width


def _section_and_byline(placed: list[Placed]) -> None:
    """A short line in capitals just above a title is its section label; one that closes an
    article (set to the right, or nearer the text above than the title below; before a
    note or the end of the page) is its byline. Sections are found first: a byline may
    stand just above the next article's section."""
    for sections in (True, False):
        for i, p in enumerate(placed):
            if p.kind != "body" or not p.caps or len(p.line.words) > 7:
                continue
            after = next((q for q in placed[i + 1:] if q.kind not in ("folio", "header", "caption")), None)
            before = placed[i - 1] if i else None
            gap_above = p.line.y0 - before.line.y1 if before is not None and before.kind == "body" else 10**6
            height = p.line.y1 - p.line.y0
            gap_below = after.line.y0 - p.line.y1 if after is not None else 10**6
            below_close = -height / 2 <= gap_below < min(gap_above, 2 * height)
            if sections:
                if after is not None and after.kind == "title" and below_close and not _right_set(p, placed):
                    p.kind = "section"
            elif after is None or after.kind in CLOSERS or _right_set(p, placed):
                p.kind = "byline"


def _right_set(p: Placed, placed: list[Placed]) -> bool:
    """Set against the right edge of its column, well clear of the left one."""
    same = [q.line for q in placed if q.column == p.column and q.band == p.band
            and q.kind not in ("header", "folio", "masthead")]  # set across the page, not the column
    left, right = min(x.x0 for x in same), max(x.x1 for x in same)
    return p.line.x0 - left > 0.3 * max(right - left, 1) and right - p.line.x1 < 0.1 * max(right - left, 1)


def segment(pages: list[PageLayout]) -> tuple[list[Segment], dict[int, list[Placed]]]:
    """The issue's articles in reading order, and every page's lines as classed."""
    articles: list[Segment] = []
    current: Segment | None = None
    waiting: list[Segment] = []  # articles a note continued on a later page
    by_page: dict[int, list[Placed]] = {}
    ordered = [reading_order(page) for page in pages]
    issue_body = body_of([p for placed in ordered for p in placed])
    for page, placed in zip(pages, ordered, strict=True):
        classify(placed, page, issue_body)
        by_page[page.n] = placed
        placed = [p for p in placed if p.kind != "noise"]
        page_started = False
        pending_section: Placed | None = None
        i = 0
        while i < len(placed):
            p = placed[i]
            if p.kind == "section":
                pending_section = p
            elif p.kind == "title":
                group = [p]
                while i + 1 < len(placed) and placed[i + 1].kind == "title" and len(group) < MAX_TITLE_LINES:
                    i += 1
                    group.append(placed[i])
                resumed = _resumed_by_title(waiting, group)
                if resumed is not None:
                    current = resumed
                    waiting.remove(resumed)
                    for q in group:
                        q.kind = "title-repeat"
                else:
                    current = Segment(title=group, section=pending_section)
                    articles.append(current)
                pending_section = None
                page_started = True
            elif p.kind == "jump-in":
                source = next((a for a in waiting if p.target is None or _pages(a)[-1] == p.target), None)
                source = source or (waiting[0] if waiting else None)
                if source is not None:
                    waiting.remove(source)
                    current = source
                page_started = True
            elif p.kind == "jump-out":
                if current is not None:
                    current.jumped_to = p.target
                    waiting.append(current)
                    current = None
            elif p.kind == "byline":
                if current is not None:
                    current.byline.append(p)
            elif p.kind == "body":
                if not page_started and waiting and any(a.jumped_to == page.n for a in waiting):
                    current = next(a for a in waiting if a.jumped_to == page.n)
                    waiting.remove(current)
                if current is not None:
                    current.body.append(p)
                page_started = True
            i += 1
    # a heading with no text under it (a page of one large sentence) is not an article:
    # its lines stay in the page's own text
    return [a for a in articles if a.body or a.jumped_to is not None], by_page


def _pages(article: Segment) -> list[int]:
    return sorted({p.page for p in [*article.title, *article.body]})


def _resumed_by_title(waiting: list[Segment], group: list[Placed]) -> Segment | None:
    """A continued part often repeats its article's title: that continues it."""
    title = fold(" ".join(p.line.text for p in group).lower())
    for article in waiting:
        if fold(" ".join(p.line.text for p in article.title).lower()) == title:
            return article
    return None


def paragraphs(lines: list[Placed]) -> list[str]:
    """Body lines joined into paragraphs: a line that ends a sentence well short of its
    column's right edge ends its paragraph."""
    if not lines:
        return []
    edges: dict[tuple[int, int, int], tuple[int, int]] = {}
    for p in lines:
        key = (p.page, p.band, p.column)
        left, right = edges.get(key, (p.line.x0, p.line.x1))
        edges[key] = (min(left, p.line.x0), max(right, p.line.x1))
    out: list[list[str]] = [[]]
    for k, p in enumerate(lines):
        out[-1].append(p.line.text)
        left, right = edges[(p.page, p.band, p.column)]
        short = right - p.line.x1 > 0.1 * max(right - left, 1)
        if k + 1 < len(lines) and short and _SENTENCE_END.search(p.line.text.strip()):
            out.append([])
    return [clean_text("\n".join(par)).replace("\n", " ") for par in out if par]


def title_text(lines: list[Placed]) -> str:
    return clean_text(" ".join(p.line.text for p in lines)).replace("\n", " ").strip()


def regions(lines: list[Placed]) -> list[tuple[int, tuple[int, int, int, int]]]:
    """One box per run of lines in the same page, band and column."""
    out: list[tuple[int, tuple[int, int, int, int]]] = []
    key = None
    for p in lines:
        here = (p.page, p.band, p.column)
        ln = p.line
        if here == key and out:
            page, (x0, y0, x1, y1) = out[-1]
            out[-1] = (page, (min(x0, ln.x0), min(y0, ln.y0), max(x1, ln.x1), max(y1, ln.y1)))
        else:
            out.append((p.page, (ln.x0, ln.y0, ln.x1, ln.y1)))
            key = here
    return out

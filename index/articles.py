"""An issue's articles: segmented from its stored hOCR, corrected by archivists, stored as
derived data (``articles.json``) and rebuilt whenever the segmenter improves.

Archivists' corrections are source of truth: they live in ``issue.json``'s history
(field ``article.title``, ``article.join`` or ``article.split``, with the line the
article starts at as ``anchor``) and are replayed over every new segmentation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from archive import Archive, IssueRecord
from archive.hocr import hocr_lines
from index.segment import (
    SEGMENTER_VERSION,
    PageLayout,
    Placed,
    Segment,
    paragraphs,
    regions,
    segment,
    title_text,
)

ARTICLES_FILE = "articles.json"
BOILERPLATE = frozenset({"masthead", "header", "folio", "noise", "toc", "jump-in", "jump-out", "caption",
                         "title-repeat"})
EDIT_FIELDS = ("article.title", "article.join", "article.split")


@dataclass(frozen=True)
class Region:
    page: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the stored page raster's pixels


@dataclass(frozen=True)
class Article:
    id: int  # 1.. in reading order
    title: str
    section: str | None
    byline: str | None
    pages: list[int]
    text: str  # the body with its lead, paragraphs separated by a blank line
    regions: list[Region]
    start: tuple[int, int]  # (page, hOCR line index) where it begins: the anchor of edits
    parts: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, page) per page part

    def page_at(self, offset: int) -> int:
        """The page on which the character at ``offset`` of ``text`` is printed."""
        page = self.pages[0] if self.pages else self.start[0]
        for at, n in self.parts:
            if at <= offset:
                page = n
        return page

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract (``bantin show --json``, ``/api/issues/{id}``)."""
        return {"id": self.id, "title": self.title, "section": self.section, "byline": self.byline,
                "pages": self.pages, "text": self.text,
                "regions": [{"page": r.page, "box": list(r.box)} for r in self.regions]}


@dataclass(frozen=True)
class PageRest:
    """What of a page belongs to no article and is not boilerplate (its ``text``). A page
    holding no article keeps all its text but the masthead, running headers, page
    numbers and contents, so it can still be found; ``whole`` when that is the page's
    stored text as it is (no boilerplate found on it)."""

    n: int
    text: str
    whole: bool


@dataclass(frozen=True)
class IssueArticles:
    articles: list[Article]
    pages: list[PageRest]
    version: int = SEGMENTER_VERSION

    def to_json(self) -> str:
        return json.dumps({
            "segmenter_version": self.version,
            "articles": [{**a.to_dict(), "start": list(a.start), "parts": [list(p) for p in a.parts]}
                         for a in self.articles],
            "pages": [asdict(p) for p in self.pages],
        }, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, data: str) -> IssueArticles:
        raw = json.loads(data)
        articles = [
            Article(id=a["id"], title=a["title"], section=a["section"], byline=a["byline"], pages=a["pages"],
                    text=a["text"], regions=[Region(r["page"], tuple(r["box"])) for r in a["regions"]],
                    start=(a["start"][0], a["start"][1]), parts=[(p[0], p[1]) for p in a["parts"]])
            for a in raw["articles"]
        ]
        pages = [PageRest(p["n"], p["text"], p.get("whole", False)) for p in raw["pages"]]
        return cls(articles, pages, raw.get("segmenter_version", 0))

    def article(self, article_id: int) -> Article | None:
        return next((a for a in self.articles if a.id == article_id), None)


def segment_issue(record: IssueRecord, read_hocr: Callable[[int], str],
                  read_text: Callable[[int], str]) -> IssueArticles:
    """Segment an issue from its stored hOCR (``read_hocr(n)``) and replay the archivists'
    corrections kept in its history."""
    found, by_page = segment(_layouts(record, read_hocr))
    found = apply_edits(found, record.history)
    articles = [_article(k, s) for k, s in enumerate(found, start=1)]
    in_article = {(p.page, p.line.index) for s in found for p in [*s.title, *s.body, *s.byline]
                  + ([s.section] if s.section else [])}
    rests = []
    for page in record.pages:
        placed = by_page.get(page.n, [])
        outside = [p for p in placed
                   if (p.page, p.line.index) not in in_article and p.kind not in BOILERPLATE]
        if len(outside) == len(placed):  # neither article nor boilerplate: the page as stored
            rests.append(PageRest(page.n, read_text(page.n), True))
        else:
            rests.append(PageRest(page.n, "\n".join(p.line.text for p in outside), False))
    return IssueArticles(articles, rests)


def _layouts(record: IssueRecord, read_hocr: Callable[[int], str]) -> list[PageLayout]:
    return [PageLayout(p.n, p.width, p.height, hocr_lines(read_hocr(p.n))) for p in record.pages]


def _stored_hocr(archive: Archive, record: IssueRecord) -> Callable[[int], str]:
    return lambda n: archive.page_file(record.id, n, ".hocr").read_text("utf-8")


def _article(k: int, s: Segment) -> Article:
    text_parts: list[str] = []
    parts: list[tuple[int, int]] = []
    offset = 0
    for page in sorted({p.page for p in s.body}, key=lambda n: [p.page for p in s.body].index(n)):
        chunk = "\n\n".join(paragraphs([p for p in s.body if p.page == page]))
        if not chunk:
            continue
        if text_parts:
            offset += 2
        parts.append((offset, page))
        text_parts.append(chunk)
        offset += len(chunk)
    text = "\n\n".join(text_parts)
    lines = [*([s.section] if s.section else []), *s.title, *s.body, *s.byline]
    pages = list(dict.fromkeys(p.page for p in [*s.title, *s.body]))
    byline = " ".join(title_text([b]) for b in s.byline) or None
    return Article(
        id=k, title=s.corrected_title or title_text(s.title) or _untitled(text),
        section=title_text([s.section]) if s.section else None,
        byline=byline, pages=pages, text=text, regions=[Region(n, box) for n, box in regions(lines)],
        start=s.start, parts=parts,
    )


def _untitled(text: str) -> str:
    """An article found without a title (its title lost to OCR) is named by its first words."""
    words = text.split()
    return " ".join(words[:8]) + (" …" if len(words) > 8 else "")


def apply_edits(found: list[Segment], history: list[dict[str, Any]]) -> list[Segment]:
    """Replay article corrections, oldest first: a join merges the article starting at the
    anchor into the one before it; a split starts an article at the anchor line; a title
    replaces the title of the article starting at the anchor (applied when articles are
    built)."""
    segments = list(found)
    for entry in history:
        anchor = entry.get("anchor")
        if entry.get("field") not in EDIT_FIELDS or not anchor:
            continue
        where = (int(anchor[0]), int(anchor[1]))
        if entry["field"] == "article.join":
            k = next((i for i, s in enumerate(segments) if s.start == where), None)
            if k:
                before, joined = segments[k - 1], segments[k]
                before.body += joined.title + joined.body
                before.byline = joined.byline or before.byline
                del segments[k]
        elif entry["field"] == "article.split":
            for k, s in enumerate(segments):
                at = next((i for i, p in enumerate(s.body) if (p.page, p.line.index) == where), None)
                if at:
                    new = Segment(title=[s.body[at]], body=s.body[at + 1:], byline=s.byline)
                    s.body, s.byline = s.body[:at], []
                    segments.insert(k + 1, new)
                    break
    titles = {(int(e["anchor"][0]), int(e["anchor"][1])): str(e["new"]) for e in history
              if e.get("field") == "article.title" and e.get("anchor")}
    for s in segments:
        s.corrected_title = titles.get(s.start, s.corrected_title)
    return segments


def stored_articles(archive: Archive, record: IssueRecord) -> IssueArticles | None:
    """The articles stored with the issue, if this segmenter made them."""
    path = archive.issue_dir(record.id) / ARTICLES_FILE
    if path.is_file():
        stored = IssueArticles.from_json(path.read_text(encoding="utf-8"))
        if stored.version == SEGMENTER_VERSION:
            return stored
    return None


def stored_segmentation(archive: Archive, record: IssueRecord) -> IssueArticles:
    """The issue segmented again from its stored hOCR and text."""
    return segment_issue(record, _stored_hocr(archive, record), lambda n: archive.page_text(record.id, n))


def load_articles(archive: Archive, record: IssueRecord) -> IssueArticles:
    """The stored articles, or (missing or made by another segmenter) segmented in memory:
    readers such as the web server never write."""
    return stored_articles(archive, record) or stored_segmentation(archive, record)


def page_lines(archive: Archive, record: IssueRecord, n: int) -> list[Placed]:
    """One page's lines in reading order, each with what the segmenter made of it."""
    _, by_page = segment(_layouts(record, _stored_hocr(archive, record)))
    return by_page.get(n, [])

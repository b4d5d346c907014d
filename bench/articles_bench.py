"""Article segmentation and article search, against the truth of composed issues.

Issues are composed (``bantin.composer``) from corpus sentences: masthead, a contents
box, running headers, page numbers, one or two columns, titles in one column or across
both, section labels, leads, bylines, photos with captions, articles continued by a note
("Xem tiếp trang N") or running over a page break. Each is ingested as a scan (image
PDF, 200 dpi, noise, OCR'd) and as a born-digital PDF. Two layouts: the one developed
on (seed 7, DejaVu Serif) and a held-out one (other seed, other fonts and sizes).
"""

from __future__ import annotations

import random
import re
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import partial
from pathlib import Path

from archive import Archive
from bantin.composer import (
    ArticleSpec,
    IssueSpec,
    TruthArticle,
    compose,
    draw_scan,
    save_born_digital,
    save_scan_pdf,
)
from bantin.ingesting import index_hooks
from bench.corpus import ATTRIBUTION, sentences
from bench.scratch import in_scratch
from index import Article, IngestIndexer, SearchIndex, load_articles, search
from index.articles import stored_segmentation
from pipeline import IngestOptions, ingest
from vntext import fold

TOPICS = ("sinh hoạt chi bộ", "chuyển đổi số", "khuyến học", "kết nạp đảng viên")
SECTIONS = ("XÂY DỰNG ĐẢNG", "HỎI - ĐÁP", "GƯƠNG ĐIỂN HÌNH", "TIN TỨC", "KINH NGHIỆM HAY")
BYLINES = ("NGUYỄN VĂN AN", "TRẦN THỊ HOA", "PV", "Theo Báo Nhân Dân", "LÊ MINH", "HOÀNG LAN")
ISSUES = 6


@dataclass(frozen=True)
class Layout:
    """How a run's issues are set: fonts, body sizes, title scales, byline alignments."""

    seed: int
    families: tuple[str, ...]
    sizes: tuple[float, ...]
    title_scales: tuple[float, ...] = (1.55,)
    bylines: tuple[str, ...] = ("right",)


# Seeds 7 to 29 and 37 were developed on (their failures looked at and fixed); seeds 31,
# 41 and 43 were first run for the figures quoted, never looked into.
LAYOUTS = {
    "developed (seed 7)": Layout(7, ("dejavu-serif",), (10.0,)),
    "developed (seed 11)": Layout(11, ("noto-serif", "noto-sans", "dejavu-sans"), (9.5, 10.5)),
    "developed (seed 13)": Layout(13, ("noto-serif-display", "noto-sans-display"), (9.0, 11.0),
                                  (1.4, 1.6, 1.8), ("left", "right")),
    "developed (seed 17)": Layout(17, ("dejavu-serif", "noto-sans-display", "noto-serif"), (10.0, 12.0),
                                  (1.5, 1.7, 2.0), ("left", "right")),
    "developed (seed 19)": Layout(19, ("noto-sans", "noto-serif-display", "dejavu-sans"), (9.0, 10.0, 11.5),
                                  (1.45, 1.65, 1.9), ("left", "right")),
    "developed (seed 23)": Layout(23, ("dejavu-sans", "noto-serif", "noto-sans-display"), (9.5, 10.5, 11.0),
                                  (1.35, 1.55, 1.75), ("left", "right")),
    "developed (seed 29)": Layout(29, ("noto-serif-display", "dejavu-serif", "noto-sans"), (9.0, 10.5, 12.0),
                                  (1.4, 1.6, 1.85), ("left", "right")),
    "held out (seed 31)": Layout(31, ("noto-sans-display", "noto-serif", "dejavu-sans"), (9.5, 11.0, 12.5),
                                 (1.4, 1.7, 1.95), ("left", "right")),
    "developed (seed 37)": Layout(37, ("noto-serif", "noto-serif-display", "dejavu-serif"), (9.0, 10.0, 11.0),
                                  (1.35, 1.5, 1.8), ("left", "right")),
    "held out (seed 41)": Layout(41, ("dejavu-sans", "noto-serif-display", "noto-sans"), (9.0, 10.5, 12.0),
                                 (1.35, 1.6, 1.9), ("left", "right")),
    "held out (seed 43)": Layout(43, ("noto-sans-display", "dejavu-serif", "noto-serif"), (9.5, 10.0, 11.5),
                                 (1.4, 1.55, 1.85), ("left", "right")),
}


def _title(sentence: str, rng: random.Random) -> str:
    words = re.sub(r"[^\w\s-]", "", sentence).split()
    title = " ".join(words[: rng.randint(5, 11)])
    return title[0].upper() + title[1:]


def make_issues(layout: Layout) -> list[IssueSpec]:
    rng = random.Random(layout.seed)
    lines = [s for s in sentences() if 8 <= len(s.split()) <= 40]
    rng.shuffle(lines)
    specs = []
    for k in range(ISSUES):
        articles = []
        for a in range(rng.randint(4, 6)):
            topic = TOPICS[(k + a) % len(TOPICS)] if rng.random() < 0.5 else None
            paragraphs = [" ".join(lines.pop() for _ in range(rng.randint(2, 3)))
                          for _ in range(rng.randint(3, 7))]
            title = _title(lines.pop(), rng)
            if topic:
                title = f"{topic.capitalize()} {title[0].lower()}{title[1:]}"
                paragraphs[1] = f"{paragraphs[1]} Công tác {topic} được quan tâm."
            articles.append(ArticleSpec(
                title=title, paragraphs=paragraphs,
                section=rng.choice(SECTIONS) if rng.random() < 0.4 else None,
                byline=rng.choice(BYLINES) if rng.random() < 0.7 else None,
                lead=rng.random() < 0.3,
                photo=f"Ảnh: {_title(lines.pop(), rng)}" if rng.random() < 0.3 else None,
                jump=(a == 0 and rng.random() < 0.6), span=rng.random() < 0.4,
            ))
        specs.append(IssueSpec(number=k + 1, month=1 + k % 12, year=2018 + k % 5, articles=articles,
                               columns=2 if rng.random() < 0.7 else 1, family=rng.choice(layout.families),
                               toc=rng.random() < 0.8, body_size=rng.choice(layout.sizes),
                               title_scale=rng.choice(layout.title_scales),
                               byline_align=rng.choice(layout.bylines)))
    return specs


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", unicodedata.normalize("NFC", text).lower()).split())


def same_title(a: str, b: str) -> bool:
    return SequenceMatcher(None, norm(a), norm(b)).ratio() >= 0.9


@dataclass
class Tally:
    truth: int = 0
    titled: int = 0
    spurious: int = 0
    issues: int = 0
    words_right: int = 0
    words_found: int = 0
    words_truth: int = 0
    continued: int = 0
    continued_right: int = 0
    rr: float = 0.0
    topic_hits: int = 0
    topic_right: int = 0
    segment_share: float = 0.0  # segmentation time over ingest time

    def line(self) -> str:
        p = self.words_right / max(self.words_found, 1)
        r = self.words_right / max(self.words_truth, 1)
        return (f"titles {self.titled / max(self.truth, 1):.3f}  "
                f"not-articles/issue {self.spurious / max(self.issues, 1):.2f}"
                f"  body F1 {2 * p * r / max(p + r, 1e-9):.3f}"
                f"  continued {self.continued_right}/{self.continued}"
                f"  title MRR {self.rr / max(self.truth, 1):.3f}"
                f"  topic top-5 {self.topic_right / max(self.topic_hits, 1):.3f}"
                f"  segmenting {100 * self.segment_share:.1f}% of ingest")


def run_layout(work: Path, layout: Layout) -> dict[str, Tally]:
    """Scanned and born-digital copies land in archives of their own (a copy's twin would
    compete with it for every query)."""
    seed = layout.seed
    specs = make_issues(layout)
    truth: dict[str, tuple[str, list[TruthArticle]]] = {}
    for kind in ("scanned", "born-digital"):
        (work / kind).mkdir()
    for k, spec in enumerate(specs):
        issue = compose(spec)
        save_scan_pdf(draw_scan(issue, dpi=200, noise=0.3, seed=seed + k), work / "scanned" / f"scan-{k}.pdf")
        save_born_digital(issue, work / "born-digital" / f"digital-{k}.pdf")
        truth[f"scan-{k}.pdf"] = ("scanned", issue.truth())
        truth[f"digital-{k}.pdf"] = ("born-digital", issue.truth())
    tallies = {}
    for kind in ("scanned", "born-digital"):
        # Best of three, ingest and segmenting alike: the machine is noisy. A scanned
        # issue's ingest (OCR) is read once: segmenting is under 1% of it.
        ingest_s = min(_ingesting(work / kind, work / f"archive-{kind}-{k}")
                       for k in range(1 if kind == "scanned" else 3))
        archive = Archive.open(work / f"archive-{kind}-0")
        segment_s = min(_segmenting(archive) for _ in range(3))
        tallies[kind] = score_archive(archive, truth)
        tallies[kind].segment_share = segment_s / ingest_s
    return tallies


def _ingesting(scans: Path, root: Path) -> float:
    """Seconds to ingest the scans into a new archive, with the index."""
    started = time.perf_counter()
    report = ingest([scans], root, IngestOptions(jobs=2), index_hooks(IngestIndexer(root)))
    assert report.ok, [o.message for o in report.outcomes if o.message]
    return time.perf_counter() - started


def _segmenting(archive: Archive) -> float:
    """Seconds to segment every issue again: what the ingest spent on it."""
    started = time.perf_counter()
    for record in archive.issues():
        stored_segmentation(archive, record)
    return time.perf_counter() - started


def score_archive(archive: Archive, truth: dict[str, tuple[str, list[TruthArticle]]]) -> Tally:
    index = SearchIndex.open(archive)
    t = Tally()
    for record in archive.issues():
        _, true_articles = truth[record.source]
        found = load_articles(archive, record).articles
        t.issues += 1
        matched: dict[int, int] = {}  # truth index -> found id
        for i, ta in enumerate(true_articles):
            best = next((f for f in found if same_title(f.title, ta.title)
                         and f.id not in matched.values()), None)
            if best is not None:
                matched[i] = best.id
        t.truth += len(true_articles)
        t.titled += len(matched)
        t.spurious += sum(1 for f in found if f.id not in matched.values()
                          and not any(_overlap(f.text, ta.text) > 0.5 for ta in true_articles))
        t.words_found += sum(len(x.text.split()) for x in found)
        for i, ta in enumerate(true_articles):
            t.words_truth += len(ta.text.split())
            f_id = matched.get(i)
            f: Article | None = next((x for x in found if x.id == f_id), None) or max(
                found, key=lambda x: _overlap(x.text, ta.text), default=None)
            if f is not None:
                t.words_right += sum((Counter(norm(f.text).split())
                                      & Counter(norm(ta.text).split())).values())
            if len(ta.pages) > 1:
                t.continued += 1
                t.continued_right += int(f is not None and f_id is not None and f.pages == ta.pages)
            # the article itself: the one found with its title, else (its title misread) the
            # one holding most of its text
            target = f_id if f_id is not None else (f.id if f is not None and _overlap(f.text, ta.text) > 0.5
                                                    else None)
            hits = search(index, fold(ta.title).lower(), limit=10).hits
            for rank, hit in enumerate(hits, start=1):
                if hit.issue == record.id and hit.article and hit.article.id == target:
                    t.rr += 1 / rank
                    break
    # Precision over the first min(5, R) hits, R the articles truly about the topic: an
    # archive with three such articles cannot fill five places.
    about = [ta for rec in archive.issues() for ta in truth[rec.source][1]]
    for topic in TOPICS:
        relevant = sum(fold(topic) in fold(norm(f"{ta.title} {ta.text}")) for ta in about)
        if not relevant:  # a layout's few issues may hold no article about it
            continue
        for hit in search(index, fold(topic), limit=min(5, relevant)).hits:
            t.topic_hits += 1
            if hit.article is not None:
                art = load_articles(archive, archive.load_issue(hit.issue)).article(hit.article.id)
                t.topic_right += int(art is not None and fold(topic) in fold(norm(f"{art.title} {art.text}")))
    return t


def _overlap(found: str, true: str) -> float:
    a, b = Counter(norm(found).split()), Counter(norm(true).split())
    return sum((a & b).values()) / max(sum(b.values()), 1)


def main() -> dict[str, dict[str, Tally]]:
    print(f"== articles: segmentation and article search ({ISSUES} issues per layout, "
          "each scanned and born-digital)")
    print(f"   {ATTRIBUTION}")
    out = {}
    for name, layout in LAYOUTS.items():
        tallies = in_scratch("articles", partial(run_layout, layout=layout))
        out[name] = tallies
        for kind, t in tallies.items():
            print(f"{name:20} {kind:13} {t.line()}")
    return out

"""Scale: a synthetic archive of 100,000 pages (about 600 syllables each, built from
corpus sentences, no OCR), written in the archive format with stored analyses.

Reports reindex throughput from the archive files (tantivy; Whoosh on a slice) and
p50/p95 latency of 2-4-word queries including snippets, per engine. Each page holds two to
four articles, stored as an ingest stores them (``articles.json``).
"""

from __future__ import annotations

import argparse
import html
import random
import statistics
import tempfile
import time
from pathlib import Path

from archive import Archive, IssueRecord, PageRecord
from archive.store import page_name
from bench.corpus import ATTRIBUTION, sentences
from index import SearchIndex, open_index, reindex, search
from index.analysis import PageAnalysis, analyze
from index.articles import ARTICLES_FILE, Article, IssueArticles, PageRest, Region, stored_segmentation
from index.manager import ANALYSIS_SUFFIX
from vntext import clean_text, fold

SYLLABLES_PER_PAGE = 600
PAGES_PER_ISSUE = 20
INTERNAL_EVERY = 10  # one issue in ten is internal: anonymous searches leave them out


def build_archive(root: Path, pages: int, rng: random.Random) -> Archive:
    """Each page holds two or three articles, a title (a short sentence) set large over its
    text, with the hOCR a text layer would give: the segmenter reads them at reindex."""
    lines = sentences()
    analysed = [analyze(line) for line in lines]  # segmentation once per sentence
    short = [i for i, a in enumerate(analysed) if 5 <= len(a.tokens) <= 12]
    archive = Archive.open(root, create=True)
    for issue_no in range(pages // PAGES_PER_ISSUE):
        issue_id = f"{issue_no:016x}"
        staged = archive.stage(issue_id)
        records = []
        found: list[Article] = []
        for n in range(1, PAGES_PER_ISSUE + 1):
            articles: list[tuple[int, list[int]]] = []
            count = 0
            while count < SYLLABLES_PER_PAGE:
                title, body = rng.choice(short), list[int]()
                count += len(analysed[title].tokens)
                while not body or (count < SYLLABLES_PER_PAGE and len(body) < rng.randint(6, 12)):
                    body.append(rng.randrange(len(lines)))
                    count += len(analysed[body[-1]].tokens)
                articles.append((title, body))
            blocks = [[[lines[t]], [" ".join(lines[i] for i in b[k : k + 3]) for k in range(0, len(b), 3)]]
                      for t, b in articles]
            text = "\n\n".join(p for title, paras in blocks for p in [*title, *paras])
            tokens: list[str] = []
            words: list[tuple[int, int]] = []
            for i in [i for t, b in articles for i in (t, *b)]:
                words += [(start + len(tokens), length) for start, length in analysed[i].words]
                tokens += analysed[i].tokens
            # plain writes: durability is not what is measured here
            staged.path("pages").mkdir(exist_ok=True)
            staged.path(page_name(n, ".txt")).write_text(text, encoding="utf-8")
            hocr, starts = _hocr(blocks)
            staged.path(page_name(n, ".hocr")).write_text(hocr, encoding="utf-8")
            for (heading, paras), (line, box) in zip(blocks, starts, strict=True):
                found.append(Article(len(found) + 1, clean_text(heading[0]), None, None, [n],
                                     "\n\n".join(clean_text(p) for p in paras),
                                     [Region(n, box)], (n, line), [(0, n)]))
            staged.path(page_name(n, ANALYSIS_SUFFIX)).write_text(
                PageAnalysis(tokens, words).to_json(), encoding="utf-8"
            )
            records.append(PageRecord(n, "text-layer", None, len(tokens), 1240, 1754, 150))
        year = 1995 + issue_no % 30
        record = IssueRecord(
            id=issue_id, number=1 + issue_no % 24, date=f"{year}-{1 + issue_no % 12:02d}", title=None,
            source=f"synthetic-{issue_no}.pdf", source_kind="pdf", source_sha256=issue_id * 4,
            provenance={}, pages=records,
            visibility="internal" if issue_no % INTERNAL_EVERY == 0 else "public",
        )
        archive.commit(staged, record)
        # What an ingest stores: the segmenter's articles (checked against it on the first
        # issue; segmenting 100,000 pages here would double the build).
        stored = IssueArticles(found, [PageRest(p.n, "", True) for p in records])
        if issue_no == 0:
            again = stored_segmentation(archive, record).articles
            # the same articles, their text to a word or two (a closing "RBKT." reads as a byline)
            mismatch = next(((a.title, b.title) for a, b in zip(again, found, strict=False)
                             if a.title != b.title
                             or abs(len(a.text.split()) - len(b.text.split())) > 2), None)
            assert mismatch is None and len(again) == len(found), mismatch
        archive.write_derived(issue_id, ARTICLES_FILE, stored.to_json().encode())
    return archive


def _hocr(blocks: list[list[list[str]]]) -> tuple[str, list[tuple[int, tuple[int, int, int, int]]]]:
    """Titles at 36 px, text at 24 px, words laid left to right in lines 1,100 px wide; and
    per article the index of its first line and its box."""
    out = ["<html><body><div class='ocr_page' title='bbox 0 0 1240 1754'>"]
    starts = []
    y, lines = 60, 0
    for title, paragraphs in blocks:
        top, first = y, lines
        for size, chunk in ((36, title), (24, paragraphs)):
            for paragraph in chunk:
                out.append("<div class='ocr_carea'>")
                line: list[str] = []
                x = 100
                for word in [*paragraph.split(), ""]:
                    width = round(len(word) * size * 0.5)
                    if not word or x + width > 1200:
                        out.append(f"<span class='ocr_line' title='bbox 100 {y} {x} {y + size}; "
                                   f"x_size {size}'>"
                                   + "".join(line) + "</span>")
                        y, x, line, lines = y + round(size * 1.3), 100, [], lines + 1
                    if word:
                        line.append(f"<span class='ocrx_word' title='bbox {x} {y} {x + width} {y + size}'>"
                                    f"{html.escape(word)}</span>")
                        x += width + size // 2
                out.append("</div>")
            y += size
        starts.append((first, (100, top, 1200, y - 24)))
    return "\n".join(out + ["</div></body></html>"]), starts


def queries(count: int, rng: random.Random) -> list[str]:
    lines = [line.split() for line in sentences()]
    out: list[str] = []
    while len(out) < count:
        words = rng.choice(lines)
        n = rng.choice((2, 3, 4))
        if len(words) < n:
            continue
        start = rng.randrange(len(words) - n + 1)
        query = " ".join(w.strip('.,;:!?"()') for w in words[start : start + n]).strip()
        if len(query.split()) == n:
            out.append(fold(query).lower() if len(out) % 2 else query)
    return out


def latency(index: SearchIndex, asked: list[str]) -> tuple[float, float]:
    for query in asked[:10]:  # warm caches
        search(index, query, limit=10)
    times = []
    for query in asked:
        started = time.perf_counter()
        search(index, query, limit=10)
        times.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(times, n=20)
    return statistics.median(times), cuts[18]


def main(pages: int = 100_000, whoosh_pages: int = 10_000, seed: int = 11) -> None:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="bantin-bench-scale-"))
    started = time.perf_counter()
    build_archive(work / "archive", pages, rng)
    print(f"scale benchmark: {pages} synthetic pages (~{SYLLABLES_PER_PAGE} syllables each) built in "
          f"{time.perf_counter() - started:.0f} s ({ATTRIBUTION})")
    asked = queries(300, rng)
    started = time.perf_counter()
    indexed = reindex(work / "archive", "tantivy")
    seconds = time.perf_counter() - started
    print(f"  reindex tantivy: {pages} pages ({indexed} articles and pages) in {seconds:.1f} s = "
          f"{pages / seconds:.0f} pages/s (goal >= 500)")
    p50, p95 = latency(open_index(work / "archive", "tantivy"), asked)
    print(f"  tantivy, {pages} pages: query p50 {p50:.1f} ms, p95 {p95:.1f} ms (goal p95 <= 50 ms)")

    # Whoosh on a slice: the same issues' files, the same indexing code.
    small = work / "whoosh-slice"
    build_archive(small, whoosh_pages, random.Random(seed))
    started = time.perf_counter()
    indexed = reindex(small, "whoosh")
    seconds = time.perf_counter() - started
    print(f"  reindex whoosh: {whoosh_pages} pages ({indexed} articles and pages) in {seconds:.1f} s = "
          f"{whoosh_pages / seconds:.0f} pages/s")
    p50, p95 = latency(open_index(small, "whoosh"), asked)
    print(f"  whoosh, {whoosh_pages} pages: query p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    started = time.perf_counter()
    reindex(small, "tantivy")
    seconds = time.perf_counter() - started
    p50, p95 = latency(open_index(small, "tantivy"), asked)
    print(f"  tantivy, same {whoosh_pages} pages: reindex {whoosh_pages / seconds:.0f} pages/s, "
          f"query p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--whoosh-pages", type=int, default=10_000)
    args = parser.parse_args()
    main(args.pages, args.whoosh_pages)

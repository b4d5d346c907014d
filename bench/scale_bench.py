"""Scale: a synthetic archive of 100,000 pages (about 600 syllables each, built from
corpus sentences, no OCR), written in the archive format with stored analyses.

Reports reindex throughput from the archive files (tantivy; Whoosh on a slice) and
p50/p95 latency of 2-4-word queries including snippets, per engine.
"""

from __future__ import annotations

import argparse
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
from index.manager import ANALYSIS_SUFFIX
from vntext import fold

SYLLABLES_PER_PAGE = 600
PAGES_PER_ISSUE = 20


def build_archive(root: Path, pages: int, rng: random.Random) -> Archive:
    lines = sentences()
    analysed = [analyze(line) for line in lines]  # segmentation once per sentence
    archive = Archive.open(root, create=True)
    for issue_no in range(pages // PAGES_PER_ISSUE):
        issue_id = f"{issue_no:016x}"
        staged = archive.stage(issue_id)
        records = []
        for n in range(1, PAGES_PER_ISSUE + 1):
            picked: list[int] = []
            count = 0
            while count < SYLLABLES_PER_PAGE:
                i = rng.randrange(len(lines))
                picked.append(i)
                count += len(analysed[i].tokens)
            paragraphs = [" ".join(lines[i] for i in picked[k : k + 3]) for k in range(0, len(picked), 3)]
            text = "\n\n".join(paragraphs)
            tokens: list[str] = []
            words: list[tuple[int, int]] = []
            for i in picked:
                words += [(start + len(tokens), length) for start, length in analysed[i].words]
                tokens += analysed[i].tokens
            # plain writes: durability is not what is measured here
            staged.path("pages").mkdir(exist_ok=True)
            staged.path(page_name(n, ".txt")).write_text(text, encoding="utf-8")
            staged.path(page_name(n, ANALYSIS_SUFFIX)).write_text(
                PageAnalysis(tokens, words).to_json(), encoding="utf-8"
            )
            records.append(PageRecord(n, "text-layer", None, len(tokens), 1240, 1754, 150))
        year = 1995 + issue_no % 30
        archive.commit(staged, IssueRecord(
            id=issue_id, number=1 + issue_no % 24, date=f"{year}-{1 + issue_no % 12:02d}", title=None,
            source=f"synthetic-{issue_no}.pdf", source_kind="pdf", source_sha256=issue_id * 4,
            provenance={}, pages=records,
        ))
    return archive


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
    print(f"  reindex tantivy: {indexed} pages in {seconds:.1f} s = {indexed / seconds:.0f} pages/s "
          f"(goal >= 500)")
    p50, p95 = latency(open_index(work / "archive", "tantivy"), asked)
    print(f"  tantivy, {indexed} pages: query p50 {p50:.1f} ms, p95 {p95:.1f} ms (goal p95 <= 50 ms)")

    # Whoosh on a slice: the same issues' files, the same indexing code.
    small = work / "whoosh-slice"
    build_archive(small, whoosh_pages, random.Random(seed))
    started = time.perf_counter()
    indexed = reindex(small, "whoosh")
    seconds = time.perf_counter() - started
    print(f"  reindex whoosh: {indexed} pages in {seconds:.1f} s = {indexed / seconds:.0f} pages/s")
    p50, p95 = latency(open_index(small, "whoosh"), asked)
    print(f"  whoosh, {indexed} pages: query p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    started = time.perf_counter()
    indexed = reindex(small, "tantivy")
    seconds = time.perf_counter() - started
    p50, p95 = latency(open_index(small, "tantivy"), asked)
    print(f"  tantivy, same {indexed} pages: reindex {indexed / seconds:.0f} pages/s, "
          f"query p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--whoosh-pages", type=int, default=10_000)
    args = parser.parse_args()
    main(args.pages, args.whoosh_pages)

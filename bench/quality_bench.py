"""Known-item search quality.

Scanned pages are rendered from corpus sentences and OCR'd by the pipeline; born-digital
distractor pages are added. Each query is 2-3 words (as underthesea segments them) that
occur on exactly one page, asked five ways. Reports recall@10 and MRR for bantin (tantivy
and Whoosh) beside two baselines in the same run: a plain analyzer (lower-case, BM25) and
a folding analyzer (lower-case + ASCII folding, BM25), both with tantivy's own tokenizers.
"""

from __future__ import annotations

import random
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tantivy
from underthesea import word_tokenize

from archive import Archive
from bantin.ingesting import index_hooks
from bantin.samples import SampleIssue, render_page, save_image_pdf, save_text_pdf
from bench.corpus import ATTRIBUTION, pages_of, sentences
from index import IngestIndexer, SearchIndex, open_index, search
from pipeline import IngestOptions, ingest
from vntext import SYLLABLE, canonical, fold
from vntext.abbreviations import TABLE as ABBREVIATION_TABLE
from vntext.abbreviations import Abbreviations, folded_key

SCANNED_PAGES = 120
SCAN_SENTENCES = 12  # per scanned page
DISTRACTOR_SENTENCES = 6  # per born-digital page
PAGES_PER_ISSUE = 4
SCAN_DPI = 200
TONES = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "")
VARIANTS = ("as written", "no diacritics", "one wrong tone", "no diacritics, one letter off",
            "two compounds, shuffled", "inside a longer query", "inside, other fillers")
ABBREVIATED = "abbreviation for a full form"
# Words cadres add to what they remember ("tài liệu hướng dẫn ... mới nhất")
FILLERS = ("bài viết về", "tài liệu", "hướng dẫn", "mới nhất", "thông tin về", "năm 2019",
           "quy định", "tình hình", "kết quả", "cho chi bộ")
# Others, never tuned on: words every bulletin prints ("thông tin", "chỉ đạo") among them
OTHER_FILLERS = ("thông tin", "văn bản", "chỉ đạo", "cập nhật", "về việc", "quan trọng",
                 "trong tháng", "hướng dẫn thực hiện", "của tỉnh", "báo cáo", "các cấp", "nội dung")

PageKey = tuple[str, int]


@dataclass(frozen=True)
class Query:
    truth: PageKey
    variants: dict[str, str]


def syllable_key(text: str) -> str:
    return " " + " ".join(canonical(s) for s in re.findall(r"[^\W_]+", text)) + " "


def wrong_tone(phrase: str, rng: random.Random) -> str:
    syllables = phrase.split(" ")
    i = rng.randrange(len(syllables))
    nfd = unicodedata.normalize("NFD", syllables[i])
    base = "".join(c for c in nfd if c not in TONES[:5])
    current = next((c for c in nfd if c in TONES[:5]), "")
    tone = rng.choice([t for t in TONES if t != current])
    vowels = [k for k, c in enumerate(base) if c.lower() in "aeiouy"]
    if not vowels:
        return phrase
    at = vowels[len(vowels) // 2] + 1
    while at < len(base) and unicodedata.combining(base[at]):
        at += 1
    syllables[i] = unicodedata.normalize("NFC", base[:at] + tone + base[at:])
    return " ".join(syllables)


def letter_off(phrase: str, rng: random.Random) -> str:
    syllables = fold(phrase).lower().split(" ")
    choices = [i for i, s in enumerate(syllables) if len(s) >= 3]
    i = rng.choice(choices or list(range(len(syllables))))
    s = syllables[i]
    k = rng.randrange(len(s))
    syllables[i] = s[:k] + rng.choice([c for c in "abcdeghiklmnopqrstuvxy" if c != s[k]]) + s[k + 1 :]
    return " ".join(syllables)


def build(work: Path, rng: random.Random) -> tuple[Path, dict[PageKey, str], list[PageKey]]:
    """Render, ingest; returns the archive, each page's ground-truth text, the scanned pages."""
    lines = sentences()
    rng.shuffle(lines)
    scan_lines = lines[: SCANNED_PAGES * SCAN_SENTENCES]
    rest = lines[len(scan_lines) :]
    scans = work / "scans"
    scans.mkdir()
    truth_text: dict[tuple[str, int], str] = {}  # (file name, page) -> text
    scanned_names: list[tuple[str, int]] = []
    scan_pages = pages_of(scan_lines, SCAN_SENTENCES)
    for start in range(0, len(scan_pages), PAGES_PER_ISSUE):
        name = f"scan-{start // PAGES_PER_ISSUE:03d}-2019-{1 + start % 12:02d}.pdf"
        chunk = scan_pages[start : start + PAGES_PER_ISSUE]
        images = [render_page(p, dpi=SCAN_DPI, noise=0.3, seed=start + n) for n, p in enumerate(chunk)]
        save_image_pdf(images, scans / name, dpi=SCAN_DPI)
        for n, paragraphs in enumerate(chunk, start=1):
            truth_text[(name, n)] = "\n".join(paragraphs)
            scanned_names.append((name, n))
    text_pages = pages_of(rest, DISTRACTOR_SENTENCES)
    for start in range(0, len(text_pages), 10):
        name = f"digital-{start // 10:03d}-2021-{1 + start % 12:02d}.pdf"
        chunk = text_pages[start : start + 10]
        save_text_pdf(SampleIssue(name, chunk), scans / name)
        for n, paragraphs in enumerate(chunk, start=1):
            truth_text[(name, n)] = "\n".join(paragraphs)
    archive_root = work / "archive"
    indexer = IngestIndexer(archive_root)
    report = ingest([scans], archive_root, IngestOptions(jobs=2),
                    index_hooks(indexer))
    assert report.ok, [o for o in report.outcomes if o.message]
    ids = {r.source: r.id for r in Archive.open(archive_root).issues()}
    by_key = {(ids[name], n): text for (name, n), text in truth_text.items()}
    return archive_root, by_key, [(ids[name], n) for name, n in scanned_names]


def make_queries(texts: dict[PageKey, str], scanned: list[PageKey], rng: random.Random) -> list[Query]:
    keys = {page: syllable_key(text) for page, text in texts.items()}

    def pages_with(*phrases: str) -> int:
        return sum(1 for k in keys.values() if all(syllable_key(p) in k for p in phrases))

    queries = []
    for page in scanned:
        words = [w for w in word_tokenize(texts[page].replace("\n", " "))
                 if re.fullmatch(r"[^\W\d_]+( [^\W\d_]+)*", w)]
        phrase = None
        for _ in range(60):
            n = rng.choice((2, 3))
            start = rng.randrange(max(1, len(words) - n))
            candidate = " ".join(words[start : start + n])
            if 2 <= len(candidate.split()) <= 6 and pages_with(candidate) == 1:
                phrase = candidate
                break
        paragraph = rng.choice(texts[page].split("\n"))
        compounds = list(dict.fromkeys(w for w in word_tokenize(paragraph)
                                       if " " in w and re.fullmatch(r"[^\W\d_ ]+( [^\W\d_]+)+", w)))
        pair = None
        for _ in range(60):
            if len(compounds) < 2:
                break
            a, b = rng.sample(compounds, 2)
            if pages_with(a, b) == 1 and syllable_key(f"{b} {a}") not in keys[page]:
                pair = (a, b)
                break
        if phrase is None or pair is None:
            continue
        queries.append(Query(page, {
            VARIANTS[0]: phrase,
            VARIANTS[1]: fold(phrase).lower(),
            VARIANTS[2]: wrong_tone(phrase, rng),
            VARIANTS[3]: letter_off(phrase, rng),
            VARIANTS[4]: fold(f"{pair[1]} {pair[0]}").lower(),
            VARIANTS[5]: fold(longer_query(phrase, keys[page], rng)).lower(),
            # its own generator: the other forms stay what they were before this one was added
            VARIANTS[6]: fold(longer_query(phrase, keys[page], random.Random(repr(page)),
                                           OTHER_FILLERS)).lower(),
        }))
    return queries


def longer_query(phrase: str, page: str, rng: random.Random, fillers: tuple[str, ...] = FILLERS) -> str:
    """The remembered phrase inside words the page does not hold: two additions, each
    before or after it."""
    absent = [f for f in fillers if not any(f" {canonical(w)} " in page for w in f.split())]
    before, after = rng.sample(absent, 2) if len(absent) >= 2 else (absent + ["", ""])[:2]
    return " ".join(part for part in (before, phrase, after) if part)


def abbreviation_queries(texts: dict[PageKey, str], rng: random.Random) -> list[tuple[PageKey, str]]:
    """Known-item queries typed with an abbreviation ("UBND tinh Quang Nam") for pages
    that hold its full form followed by the rest of the query."""
    keys = {page: syllable_key(text) for page, text in texts.items()}
    table = Abbreviations.default()
    found: list[tuple[PageKey, str]] = []
    for page, key in keys.items():
        tokens = key.split()
        folded = [fold(t) for t in tokens]
        spots = [(i, short, long) for short, long in table.pairs.items() if len(long) > 1
                 for i in range(len(folded) - len(long)) if tuple(folded[i : i + len(long)]) == long]
        rng.shuffle(spots)
        for i, short, long in spots:
            rest = tokens[i + len(long) : i + len(long) + 2]
            if len(rest) < 2 or not all(t.isalpha() for t in rest):
                continue
            full = " " + " ".join(tokens[i : i + len(long) + 2]) + " "
            if sum(1 for k in keys.values() if full in k) != 1:
                continue
            written = next(a for a in ABBREVIATION_TABLE if folded_key(a) == short)
            found.append((page, f"{written} {fold(' '.join(rest))}"))
            break
    return found


class Baseline:
    """A bag-of-syllables BM25 index with tantivy's own analyzers (no Vietnamese analysis)."""

    def __init__(self, archive: Archive, folding: bool) -> None:
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("key", stored=True, tokenizer_name="raw")
        builder.add_text_field("body", tokenizer_name="baseline")
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)
        analyzer = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
        if folding:
            analyzer = analyzer.filter(tantivy.Filter.ascii_fold())
        self.index.register_tokenizer("baseline", analyzer.build())
        writer = self.index.writer(heap_size=64_000_000, num_threads=1)
        for record in archive.issues():
            for page in record.pages:
                writer.add_document(tantivy.Document(
                    key=f"{record.id}/{page.n}", body=archive.page_text(record.id, page.n)
                ))
        writer.commit()
        self.index.reload()

    def top10(self, query: str) -> list[PageKey]:
        parsed = self.index.parse_query_lenient(query, ["body"])[0]
        searcher = self.index.searcher()
        hits = searcher.search(parsed, 10).hits
        keys = [str(searcher.doc(a).get_first("key")) for _, a in hits]
        return [(k.split("/")[0], int(k.split("/")[1])) for k in keys]


def evaluate(queries: list[Query], top10: Callable[[str], list[PageKey]]) -> dict[str, tuple[float, float]]:
    return {v: evaluate_one([(q.truth, q.variants[v]) for q in queries], top10) for v in VARIANTS}


def evaluate_one(
    queries: list[tuple[PageKey, str]], top10: Callable[[str], list[PageKey]]
) -> tuple[float, float]:
    """Recall@10 and mean reciprocal rank."""
    found, reciprocal = 0, 0.0
    for truth, text in queries:
        ranked = top10(text)
        if truth in ranked:
            found += 1
            reciprocal += 1 / (ranked.index(truth) + 1)
    return found / max(1, len(queries)), reciprocal / max(1, len(queries))


def bantin_top10(index: SearchIndex) -> Callable[[str], list[PageKey]]:
    def run(query: str) -> list[PageKey]:
        return [(h.issue, h.page) for h in search(index, query, limit=10).hits]

    return run


def highlight_share(index: SearchIndex, queries: list[Query]) -> float:
    """Of the words marked in the first hit's snippet for a phrase query (as written and
    without diacritics), the share that lies inside the phrase where it stands whole."""
    inside = marked = 0
    for query in queries:
        for variant in VARIANTS[:2]:
            typed = [fold(w) for w in query.variants[variant].lower().split()]
            hits = search(index, query.variants[variant], limit=1).hits
            if not hits:
                continue
            snippet = hits[0].snippet
            syllables = [(m.start(), m.end(), fold(m.group()).lower()) for m in SYLLABLE.finditer(snippet)]
            spans = [(syllables[i][0], syllables[i + len(typed) - 1][1]) for i in range(len(syllables))
                     if [s[2] for s in syllables[i : i + len(typed)]] == typed]
            for start, end in hits[0].highlights:
                marked += 1
                inside += any(a <= start and end <= b for a, b in spans)
    return inside / max(marked, 1)


def main(seeds: tuple[int, ...] = (7, 11, 13)) -> dict[int, dict[str, dict[str, tuple[float, float]]]]:
    """Three seeds (7 and 11 developed on, 13 first run for the figures quoted): a figure
    is quoted as the worse of them."""
    return {seed: run_seed(seed) for seed in seeds}


def run_seed(seed: int) -> dict[str, dict[str, tuple[float, float]]]:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="bantin-bench-quality-"))
    archive_root, texts, scanned = build(work, rng)
    archive = Archive.open(archive_root)
    pages = sum(len(r.pages) for r in archive.issues())
    queries = make_queries(texts, scanned, rng)
    print(f"quality benchmark, seed {seed}: {len(scanned)} scanned pages OCR'd at {SCAN_DPI} dpi + "
          f"{pages - len(scanned)} born-digital pages; {len(queries)} known-item queries ({ATTRIBUTION})")
    systems = {
        "bantin tantivy": bantin_top10(open_index(archive_root, "tantivy")),
        "bantin whoosh": bantin_top10(open_index(archive_root, "whoosh")),
        "baseline plain": Baseline(archive, folding=False).top10,
        "baseline folding": Baseline(archive, folding=True).top10,
    }
    results = {name: evaluate(queries, run) for name, run in systems.items()}
    abbreviated = abbreviation_queries(texts, rng)
    for name, run in systems.items():
        results[name][ABBREVIATED] = evaluate_one(abbreviated, run)
    width = max(len(v) for v in (*VARIANTS, ABBREVIATED))
    print(f"  {'query form':{width}}  " + "  ".join(f"{name:>22}" for name in systems))
    for variant in (*VARIANTS, ABBREVIATED):
        cells = [f"R@10 {results[s][variant][0]:.3f} MRR {results[s][variant][1]:.3f}" for s in systems]
        print(f"  {variant:{width}}  " + "  ".join(f"{c:>22}" for c in cells))
    example = queries[0].variants
    print("  example query forms: " + " | ".join(example[v] for v in VARIANTS))
    print(f"  {len(abbreviated)} abbreviation queries, e.g. " + " | ".join(q for _, q in abbreviated[:4]))
    print(f"  seed {seed}: marks inside the typed phrase, first hit of phrase queries: "
          f"{highlight_share(open_index(archive_root, 'tantivy'), queries):.3f} (tantivy), "
          f"{highlight_share(open_index(archive_root, 'whoosh'), queries):.3f} (whoosh)")
    return results


if __name__ == "__main__":
    main()

"""The derived search index of an archive: open, keep current, rebuild.

``<archive>/index/settings.json`` records the engine in use and the schema and
analyzer versions each engine's index was built with; a mismatch rebuilds that
index from the archive files, with a message.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive import Archive, ArchiveError, IssueRecord, StagedIssue
from archive.corrections import corrected, machine_reading
from archive.errors import _
from archive.fsutil import write_atomic
from archive.store import page_name
from index.analysis import (
    ANALYZER_VERSION,
    PageAnalysis,
    analyze,
    analyze_with,
    article_doc,
    compounds_of,
    page_doc,
)
from index.articles import ARTICLES_FILE, IssueArticles, segment_issue, stored_articles, stored_segmentation
from index.engine import Engine, PageDoc
from index.schema import DEFAULT_ENGINE, ENGINES, SCHEMA_VERSION
from index.trusted import load_trusted, rebuild_trusted
from vntext.abbreviations import Abbreviations
from vntext.trusted import TrustedCounts

SETTINGS_FILE = "settings.json"
LOCK_FILE = ".lock"
ANALYSIS_SUFFIX = ".analysis.json"

Notify = Callable[[str], None]
ProgressFn = Callable[[int, int], None]


def make_engine(name: str, folder: Path) -> Engine:
    if name == "tantivy":
        from index.tantivy_engine import TantivyEngine

        return TantivyEngine(folder)
    if name == "whoosh":
        from index.whoosh_engine import WhooshEngine

        return WhooshEngine(folder)
    raise ArchiveError(_("unknown search engine {name!r} (choose from {items})")
        .format(name=name, items=', '.join(ENGINES)))


def page_analysis(text: str) -> dict[str, str]:
    """Ingest hook run in the page workers: a page's analysis, from its clean text."""
    return {ANALYSIS_SUFFIX: analyze(text).to_json()}


def analyze_staged(staged: StagedIssue, record: IssueRecord) -> None:
    """Ingest hook: store each page's analysis beside its text before the issue lands,
    where the workers did not already, and the issue's articles."""
    for page in record.pages:
        name = page_name(page.n, ANALYSIS_SUFFIX)
        if not staged.path(name).is_file():
            text = staged.read_text(page_name(page.n, ".txt"))
            staged.write_text(name, analyze(text).to_json(), derived=True)
    found = segment_issue(record, lambda n: staged.read_text(page_name(n, ".hocr")),
                          lambda n: staged.read_text(page_name(n, ".txt")))
    staged.write_text(ARTICLES_FILE, found.to_json(), derived=True)


ABBREVIATIONS_FILE = "abbreviations.tsv"  # in the archive folder: the archive's own additions


def load_abbreviations(archive: Archive, notify: Notify | None = None) -> Abbreviations:
    """The curated table, extended by ``<archive>/abbreviations.tsv`` where there is one."""
    table = Abbreviations.default()
    path = archive.root / ABBREVIATIONS_FILE
    if path.is_file():
        for problem in table.extend(path.read_text(encoding="utf-8")):
            if notify:
                notify(f"{path}: {problem} (line ignored)")
    return table


@dataclass
class SearchIndex:
    archive: Archive
    engine: Engine
    abbreviations: Abbreviations = field(default_factory=Abbreviations.default)
    _trusted: tuple[int, TrustedCounts] = field(default_factory=lambda: (-1, TrustedCounts()))

    def trusted(self) -> TrustedCounts:
        """The archive's trusted-text counts, read again when they have changed."""
        try:
            stamp = self.archive.trusted_counts.stat().st_mtime_ns
        except OSError:
            return TrustedCounts()
        if self._trusted[0] != stamp:
            self._trusted = (stamp, load_trusted(self.archive.trusted_counts))
        return self._trusted[1]

    @classmethod
    def open(cls, archive: Archive, engine: str | None = None, notify: Notify | None = None) -> SearchIndex:
        """Open (and if needed build or rebuild) the index of ``engine`` (default: the
        archive's setting, else tantivy)."""
        name = engine or _read_settings(archive, notify).get("engine") or DEFAULT_ENGINE
        if name not in ENGINES:
            raise ArchiveError(_("unknown search engine {name!r} (choose from {items})")
                .format(name=name, items=', '.join(ENGINES)))
        folder = archive.index_dir / name
        wanted = {"schema_version": SCHEMA_VERSION, "analyzer_version": ANALYZER_VERSION}
        with index_lock(archive):  # another process may be building it right now
            settings = _read_settings(archive, notify)
            built = settings.get("built", {}).get(name)
            stale = built is not None and built != wanted
            if stale:
                if notify:
                    notify(f"index: {name} index was built with {built}, now {wanted}: rebuilding")
                shutil.rmtree(folder, ignore_errors=True)
            index = cls(archive, make_engine(name, folder), load_abbreviations(archive, notify))
            if built is None or stale:
                if notify and archive.issue_ids():
                    notify(f"index: building the {name} index from {archive.root}")
                index._rebuild()
            if settings.get("engine") != name:
                _write_settings(archive, {**_read_settings(archive), "engine": name})
        return index

    @classmethod
    def open_reader(cls, archive: Archive) -> SearchIndex:
        """Open the archive's index for searching only: nothing is built or written (the
        web server's way in); a missing or outdated index is an ArchiveError."""
        settings = _read_settings(archive)
        name = settings.get("engine") or DEFAULT_ENGINE
        wanted = {"schema_version": SCHEMA_VERSION, "analyzer_version": ANALYZER_VERSION}
        if name not in ENGINES or settings.get("built", {}).get(name) != wanted:
            raise ArchiveError(_("{root}: the search index is missing or outdated (run 'bantin reindex')")
                .format(root=archive.root))
        return cls(archive, make_engine(name, archive.index_dir / name), load_abbreviations(archive))

    def _mark_built(self) -> None:
        settings = _read_settings(self.archive)
        built = dict(settings.get("built", {}))
        built[self.engine.name] = {"schema_version": SCHEMA_VERSION, "analyzer_version": ANALYZER_VERSION}
        _write_settings(self.archive, {**settings, "built": built})

    def page_analysis(self, issue_id: str, n: int, text: str) -> PageAnalysis:
        """The stored analysis, or a fresh one (stored for next time) when missing or old."""
        path = self.archive.page_file(issue_id, n, ANALYSIS_SUFFIX)
        if path.is_file():
            stored = PageAnalysis.from_json(path.read_text(encoding="utf-8"))
            if stored.version == ANALYZER_VERSION:
                return stored
        fresh = analyze(text)
        self.archive.write_derived(issue_id, page_name(n, ANALYSIS_SUFFIX), fresh.to_json().encode())
        return fresh

    def articles(self, record: IssueRecord, fresh: bool = False) -> IssueArticles:
        """The issue's articles as stored, or segmented again from its hOCR (and stored)
        when ``fresh``, missing or made by another segmenter version."""
        stored = None if fresh else stored_articles(self.archive, record)
        if stored is not None:
            return stored
        found = stored_segmentation(self.archive, record)
        self.archive.write_derived(record.id, ARTICLES_FILE, found.to_json().encode())
        return found

    def docs(self, record: IssueRecord, fresh: bool = False) -> Iterator[PageDoc]:
        """An issue's documents: one per article, and one per page for what of it belongs
        to no article (a whole page where it holds none); boilerplate is in none."""
        analyses = {}
        for page in record.pages:
            text = self.archive.page_text(record.id, page.n)
            analyses[page.n] = self.page_analysis(record.id, page.n, text)
        compounds = compounds_of(list(analyses.values()))
        found = self.articles(record, fresh)
        # what OCR read on lines people corrected since stays searchable, never shown: with
        # the first article on its page, else with the page's rest
        machine = {p.n: machine_reading(self.archive, record.id, p.n)
                   for p in record.pages if corrected(record.files, p.n)}
        for article in found.articles:
            extra = "".join(f"\n\n{machine.pop(n)}" for n in article.pages if n in machine)
            searched = f"{article.title}\n{article.text}{extra}"
            yield article_doc(record, article, analyze_with(searched, compounds))
        for rest in found.pages:
            extra = machine.pop(rest.n, "")
            if not rest.text.strip() and not extra:
                continue
            analysis = (analyses[rest.n] if rest.whole and not extra
                        else analyze_with(f"{rest.text}\n\n{extra}" if extra else rest.text, compounds))
            yield page_doc(record, rest.n, rest.text, analysis)

    def doc_count(self, record: IssueRecord) -> int:
        """How many documents the index holds for an issue when it is current."""
        found = self.articles(record)
        placed = {n for article in found.articles for n in article.pages}
        return len(found.articles) + sum(1 for rest in found.pages if rest.text.strip()
                                         or (corrected(record.files, rest.n) and rest.n not in placed))

    def add_issue(self, record: IssueRecord) -> None:
        """Index one landed issue (replacing it if it was indexed before) and commit."""
        with index_lock(self.archive):
            self.put_issue(record)
            self.engine.commit()

    def put_issue(self, record: IssueRecord, fresh: bool = False) -> None:
        """Index one issue without committing: for a caller that holds ``index_lock`` and
        commits a batch at once (a commit costs more than indexing an issue). ``fresh``
        segments it again (after an edit of its articles)."""
        self.engine.delete_issue(record.id)
        self.engine.add(self.docs(record, fresh))

    def remove_issue(self, issue_id: str) -> None:
        with index_lock(self.archive):
            self.engine.delete_issue(issue_id)
            self.engine.commit()

    def rebuild(self, progress: ProgressFn | None = None, resegment: bool = False) -> int:
        """Rebuild from the archive files alone; returns the number of documents indexed.
        Issues are segmented again from their stored hOCR where their ``articles.json`` is
        missing or from another segmenter version, or all of them with ``resegment``."""
        with index_lock(self.archive):
            return self._rebuild(progress, resegment)

    def _rebuild(self, progress: ProgressFn | None = None, resegment: bool = False) -> int:
        self.engine.clear()
        ids = self.archive.issue_ids()
        pages = 0
        for done, issue_id in enumerate(ids, start=1):
            pages += self.engine.add(self.docs(self.archive.load_issue(issue_id), fresh=resegment))
            if progress:
                progress(done, len(ids))
        self.engine.commit()
        self._mark_built()
        rebuild_trusted(self.archive)
        return pages

    def missing_issues(self) -> list[str]:
        """Issues in the archive but not in the index (after a crash between the two)."""
        indexed = self.engine.issues()
        return [i for i in self.archive.issue_ids() if i not in indexed]

    def check(self) -> IndexCheck:
        """Does the index hold every article and page of the archive, and nothing else?"""
        self.engine.refresh()
        indexed = self.engine.issue_pages()
        pages = {i: self.doc_count(self.archive.load_issue(i)) for i in self.archive.issue_ids()}
        return IndexCheck(
            missing=sorted(i for i, n in pages.items() if indexed.get(i) != n),
            stale=sorted(i for i in indexed if i not in pages),
        )

    def repair(self, check: IndexCheck) -> None:
        """Index what is missing, drop what is stale."""
        for issue_id in check.missing:
            self.add_issue(self.archive.load_issue(issue_id))
        for issue_id in check.stale:
            self.remove_issue(issue_id)


@dataclass(frozen=True)
class IndexCheck:
    missing: list[str]  # archive issues the index lacks (or holds with other pages)
    stale: list[str]  # indexed issues the archive no longer has

    @property
    def ok(self) -> bool:
        return not self.missing and not self.stale


@contextmanager
def index_lock(archive: Archive) -> Iterator[None]:
    """One index writer at a time, across processes (an ingest adding issues, a search
    that rebuilds an outdated index, a reindex): the others wait their turn."""
    archive.index_dir.mkdir(parents=True, exist_ok=True)
    with (archive.index_dir / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_settings(archive: Archive, notify: Notify | None = None) -> dict[str, Any]:
    """The index settings; a damaged file counts as none, so the derived index is rebuilt."""
    path = archive.index_dir / SETTINGS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        data = exc
    if not isinstance(data, dict):
        if notify:
            notify(f"index: {path} is unreadable ({data}): rebuilding the index")
        return {}
    return data


def _write_settings(archive: Archive, settings: dict[str, Any]) -> None:
    archive.index_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(archive.index_dir / SETTINGS_FILE, json.dumps(settings, indent=2).encode())

"""The search log and the report editors read from it: what cadres look for, and what
the bulletin does not have (searches that found nothing, or only pages lacking words).

One JSON line per search: time, query, hits, whether any page held every word, whether
the search relaxed, and the interface (cli, web, api). No user identity, no address.
The log lives in its own folder (``<archive>/logs`` unless told otherwise), rotated by
size; it never touches the issues. ``<archive>/settings.json`` with
``{"search_log": false}`` turns it off.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from archive import Archive
from index.search import SearchResults
from vntext import canonical, fold

LOG_FOLDER = "logs"
LOG_FILE = "searches.jsonl"
MAX_BYTES = 5 * 1024 * 1024  # rotate past this
KEEP = 5  # rotated files kept: searches.jsonl.1 (newest) .. .5
TOP = 20  # queries listed in each part of the report


@dataclass(frozen=True)
class SearchEntry:
    time: str  # ISO 8601, UTC, to the second
    query: str  # as typed (NFC)
    hits: int
    complete: bool  # some page held every word
    relaxed: bool
    interface: str  # "cli", "web" or "api"

    @classmethod
    def of(cls, results: SearchResults, interface: str, when: datetime | None = None) -> SearchEntry:
        moment = (when or datetime.now(UTC)).isoformat(timespec="seconds")
        complete = any(not h.relaxed for h in results.hits)
        return cls(moment, results.query, results.total, complete, results.relaxed, interface)


@dataclass
class SearchLog:
    folder: Path

    @property
    def path(self) -> Path:
        return self.folder / LOG_FILE

    def append(self, entry: SearchEntry) -> None:
        """One line, one write in append mode: lines from several server processes never
        interleave. Rotation takes a lock so only one process renames."""
        self.folder.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(asdict(entry), ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if size > MAX_BYTES:
            self._rotate()

    def _rotate(self) -> None:
        with (self.folder / ".rotate.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self.path.is_file() or self.path.stat().st_size <= MAX_BYTES:
                return  # another process rotated it
            for n in range(KEEP - 1, 0, -1):
                older = self.folder / f"{LOG_FILE}.{n}"
                if older.exists():
                    os.replace(older, self.folder / f"{LOG_FILE}.{n + 1}")
            os.replace(self.path, self.folder / f"{LOG_FILE}.1")

    def entries(self, since: date | None = None) -> Iterator[SearchEntry]:
        """Every logged search, oldest first; lines that cannot be read are skipped."""
        files = [self.folder / f"{LOG_FILE}.{n}" for n in range(KEEP, 0, -1)] + [self.path]
        for path in files:
            if not path.is_file():
                continue
            with path.open(encoding="utf-8", errors="replace") as lines:
                for line in lines:
                    try:
                        entry = SearchEntry(**json.loads(line))
                    except (ValueError, TypeError):
                        continue
                    if since is None or entry.time[:10] >= since.isoformat():
                        yield entry


def open_search_log(archive: Archive, log_dir: Path | None = None) -> SearchLog | None:
    """The archive's search log, or None when its settings turn logging off."""
    if archive.settings().get("search_log") is False:
        return None
    return SearchLog(log_dir or archive.root / LOG_FOLDER)


@dataclass(frozen=True)
class QueryCount:
    query: str  # the most frequent way it was typed
    folded: str  # what its searches were grouped by
    count: int


@dataclass(frozen=True)
class SearchReport:
    searches: int
    per_week: dict[str, int]  # ISO week ("2026-W48") -> searches
    frequent: list[QueryCount] = field(default_factory=list)
    unmet: list[QueryCount] = field(default_factory=list)  # nothing found, or only partial pages

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def grouping(query: str) -> str:
    """Searches typed with or without marks, in any case, count as one."""
    return " ".join(fold(canonical(word)) for word in query.split())


def report(entries: Iterator[SearchEntry]) -> SearchReport:
    weeks: Counter[str] = Counter()
    frequent: Counter[str] = Counter()
    unmet: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    searches = 0
    for entry in entries:
        searches += 1
        year, week, _ = datetime.fromisoformat(entry.time).isocalendar()
        weeks[f"{year}-W{week:02d}"] += 1
        key = grouping(entry.query)
        frequent[key] += 1
        spellings.setdefault(key, Counter())[entry.query] += 1
        if entry.hits == 0 or not entry.complete:
            unmet[key] += 1

    def counts(counter: Counter[str]) -> list[QueryCount]:
        return [QueryCount(spellings[k].most_common(1)[0][0], k, n) for k, n in counter.most_common(TOP)]

    return SearchReport(searches, dict(sorted(weeks.items())), counts(frequent), counts(unmet))

"""The archive's trusted text, counted (``vntext.trusted``): every born-digital page as
printed, and every line a person corrected, as corrected. A derived file of the index
(``<archive>/index/trusted.json``), rebuilt by ``bantin reindex``, after an ingest that
brought born-digital pages and after a correction; the next ingest's diacritic
correction and every spelling suggestion read it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from archive import Archive, IssueRecord
from archive.corrections import corrected, corrections
from archive.fsutil import write_atomic
from vntext.trusted import TrustedCounts

TEXT_LAYER = "text-layer"


def trusted_path(archive: Archive) -> Path:
    return archive.trusted_counts


def trusted_texts(archive: Archive) -> Iterator[str]:
    for record in archive.issues():
        yield from issue_trusted_texts(archive, record)


def issue_trusted_texts(archive: Archive, record: IssueRecord) -> Iterator[str]:
    """An issue's born-digital pages, and the lines people corrected as they stand now."""
    for page in record.pages:
        if page.method == TEXT_LAYER:
            yield archive.page_text(record.id, page.n)
        elif corrected(record.files, page.n):
            latest = {c.line: c.new for c in corrections(archive, record.id, page.n)}
            yield from latest.values()


def rebuild_trusted(archive: Archive) -> TrustedCounts:
    """Count the archive's trusted text again and store it (atomically)."""
    counts = TrustedCounts.of_texts(trusted_texts(archive))
    store_trusted(archive, counts)
    return counts


def store_trusted(archive: Archive, counts: TrustedCounts) -> None:
    archive.index_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(trusted_path(archive), counts.to_json().encode())


def update_trusted(archive: Archive, added: list[str], removed: tuple[str, ...] = ()) -> None:
    """Count an ingest's born-digital pages or a correction's lines in (and what a line
    read before out), without reading the whole archive again."""
    if added or removed:
        store_trusted(archive, load_trusted(trusted_path(archive)).removed(removed).added(added))


def load_trusted(path: Path) -> TrustedCounts:
    """The stored counts; none when the file is missing or unreadable (it is rebuilt)."""
    try:
        return TrustedCounts.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return TrustedCounts()

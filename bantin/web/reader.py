"""The web application's read-only view of one archive: issues (cached until the archive
changes), the shared index reader, files that may be served, thumbnails. What a viewer
may not see is not there: an internal issue asked for by an anonymous visitor is
IssueNotFound, as an issue that does not exist."""

from __future__ import annotations

import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from archive import Archive, IssueNotFound, IssueRecord, PageRecord
from archive.store import page_name
from bantin.accounts import Viewer
from index import IssueArticles, SearchIndex, load_articles

ISSUE_ID = re.compile(r"[0-9a-f]{6,64}")
THUMB_WIDTH = 240
THUMB_CACHE = 512  # thumbnails kept in memory (about 10 kB each)


@dataclass(frozen=True)
class ServedFile:
    path: Path
    etag: str  # the file's sha256 from issue.json
    media_type: str


@dataclass
class ArchiveReader:
    """Never writes to the archive; safe to share between request threads."""

    archive: Archive
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _issues: tuple[int, list[IssueRecord], frozenset[str]] = field(
        default_factory=lambda: (-1, [], frozenset()))
    _index: SearchIndex | None = None
    _thumbs: OrderedDict[tuple[str, int], bytes] = field(default_factory=OrderedDict)

    @classmethod
    def open(cls, root: Path) -> ArchiveReader:
        return cls(Archive.open(root))

    def _all(self) -> tuple[list[IssueRecord], frozenset[str]]:
        """Every issue by date, and the internal ones' ids; re-read only when an ingest
        or an edit has changed the issues folder."""
        try:
            stamp = self.archive.issues_dir.stat().st_mtime_ns
        except FileNotFoundError:
            return [], frozenset()
        with self._lock:
            if self._issues[0] != stamp:
                records = self.archive.issues()
                internal = frozenset(r.id for r in records if r.visibility != "public")
                self._issues = (stamp, records, internal)
            return self._issues[1], self._issues[2]

    def issues(self, viewer: Viewer) -> list[IssueRecord]:
        """The issues the viewer may see, by date."""
        return [r for r in self._all()[0] if viewer.sees(r)]

    def hidden(self, viewer: Viewer) -> frozenset[str]:
        """Issues a search for this viewer leaves out."""
        records, internal = self._all()
        if viewer.user is not None:
            return frozenset()
        return internal if viewer.anonymous_public else frozenset(r.id for r in records)

    def issue(self, issue_id: str, viewer: Viewer) -> IssueRecord:
        """The issue of this id (or unique prefix among those the viewer sees)."""
        if not ISSUE_ID.fullmatch(issue_id):
            raise IssueNotFound(f"no issue {issue_id!r}")
        if not self.archive.has_issue(issue_id):
            matches = [r.id for r in self.issues(viewer) if r.id.startswith(issue_id)]
            if len(matches) != 1:
                raise IssueNotFound(f"no issue {issue_id!r}")
            issue_id = matches[0]
        record = self.archive.load_issue(issue_id)  # read afresh: a visibility edited just now counts
        if not viewer.sees(record):
            raise IssueNotFound(f"no issue {issue_id!r}")
        return record

    def page(self, record: IssueRecord, n: int) -> PageRecord:
        for page in record.pages:
            if page.n == n:
                return page
        raise IssueNotFound(f"issue {record.id} has no page {n}")

    def index(self) -> SearchIndex:
        """The one index reader requests share, brought up to date with what an ingest
        committed since the last request."""
        with self._lock:
            if self._index is None:
                self._index = SearchIndex.open_reader(self.archive)
            index = self._index
        index.engine.refresh()
        return index

    def served_file(self, record: IssueRecord, relpath: str, media_type: str) -> ServedFile:
        """A file of an issue, only if issue.json lists it and it lies inside the archive
        (a link pointing out of the archive is not served)."""
        digest = record.files.get(relpath)
        path = self.archive.issue_dir(record.id) / relpath
        root = self.archive.root.resolve()
        if digest is None or not path.is_file() or not path.resolve().is_relative_to(root):
            raise IssueNotFound(f"{record.id}/{relpath}: no such file")
        return ServedFile(path, digest, media_type)

    def page_image(self, record: IssueRecord, n: int) -> ServedFile:
        return self.served_file(record, page_name(self.page(record, n).n, ".jpg"), "image/jpeg")

    def thumbnail(self, record: IssueRecord, n: int) -> tuple[bytes, str]:
        """A small JPEG of a page (made in memory: the server never writes) and its ETag."""
        image = self.page_image(record, n)
        key = (record.id, n)
        with self._lock:
            if key in self._thumbs:
                self._thumbs.move_to_end(key)
                return self._thumbs[key], image.etag
        with Image.open(image.path) as page:
            page.draft("L" if page.mode == "L" else "RGB", (THUMB_WIDTH, THUMB_WIDTH * 2))
            page.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 4))
            with io.BytesIO() as out:
                page.save(out, "JPEG", quality=70)
                data = out.getvalue()
        with self._lock:
            self._thumbs[key] = data
            while len(self._thumbs) > THUMB_CACHE:
                self._thumbs.popitem(last=False)
        return data, image.etag

    def articles(self, record: IssueRecord) -> IssueArticles:
        return load_articles(self.archive, record)

    def region_image(self, record: IssueRecord, n: int, box: tuple[int, int, int, int]) -> tuple[bytes, str]:
        """An article's region cut from the page image (boxes are in the raster's pixels;
        the stored image is that raster reduced by a whole factor)."""
        info = self.page(record, n)
        image = self.page_image(record, n)
        with Image.open(image.path) as page:
            scale = page.width / max(info.width, 1)
            x0, y0, x1, y1 = (round(v * scale) for v in box)
            pad = round(8 * scale)
            crop = page.crop((max(0, x0 - pad), max(0, y0 - pad), min(page.width, x1 + pad),
                              min(page.height, y1 + pad)))
            with io.BytesIO() as out:
                crop.save(out, "JPEG", quality=80)
                return out.getvalue(), f"{image.etag[:24]}-{x0}-{y0}-{x1}-{y1}"


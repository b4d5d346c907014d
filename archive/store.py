"""The archive on disk: reading issues and landing new ones atomically.

An issue is assembled in ``.staging/`` and renamed into ``issues/<id>`` only when
every file is written and fsync'd, so a crash never leaves a half issue behind.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from archive.errors import ArchiveError, IssueNotFound
from archive.format import FORMAT_VERSION, IssueRecord
from archive.fsutil import fsync_dir, sha256_file, write_atomic, write_durable

ARCHIVE_FILE = "archive.json"
ISSUE_FILE = "issue.json"


def page_name(n: int, suffix: str) -> str:
    """``pages/0001.txt``: four digits keep a listing in page order up to 9999 pages."""
    return f"pages/{n:04d}{suffix}"


class StagedIssue:
    """An issue being written in the staging area; nothing is visible until committed.

    Files written with ``derived=True`` (anything the index can recompute) are listed in
    ``issue.json`` apart from the checksummed source-of-truth files.
    """

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._derived: set[str] = set()

    def path(self, relpath: str) -> Path:
        """Where a member file lives, for a tool that reads it by name."""
        return self._folder / relpath

    def write(self, relpath: str, data: bytes, *, derived: bool = False) -> None:
        write_durable(self._folder / relpath, data)
        if derived:
            self._derived.add(relpath)

    def write_text(self, relpath: str, text: str, *, derived: bool = False) -> None:
        self.write(relpath, text.encode("utf-8"), derived=derived)

    @contextmanager
    def writing(self, relpath: str) -> Iterator[BinaryIO]:
        """A member file to stream into (e.g. a PDF writer); fsync'd when the block ends."""
        path = self._folder / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())

    def read_text(self, relpath: str) -> str:
        return (self._folder / relpath).read_text(encoding="utf-8")

    def remove(self, relpath: str) -> None:
        """Drop an intermediate file (e.g. a page's text layer once merged into issue.pdf)."""
        (self._folder / relpath).unlink(missing_ok=True)

    def copy_source(self, source: Path) -> None:
        """Keep the original scan (a file, or a folder of page images) under ``source/``."""
        target = self._folder / "source" / source.name
        if source.is_dir():
            shutil.copytree(source, target, symlinks=False)
            for path in sorted(p for p in target.rglob("*") if p.is_file()):
                with path.open("rb") as f:
                    os.fsync(f.fileno())
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            with target.open("rb") as f:
                os.fsync(f.fileno())

    @property
    def derived(self) -> list[str]:
        return sorted(self._derived)

    def checksums(self) -> dict[str, str]:
        """sha256 of every source-of-truth file (not ``issue.json``, not derived files)."""
        return {
            relpath: sha256_file(path)
            for path in sorted(self._folder.rglob("*"))
            if path.is_file() and path.name != ISSUE_FILE
            and (relpath := path.relative_to(self._folder).as_posix()) not in self._derived
        }

    def discard(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)


class Archive:
    """A bantin archive folder (see README, "Archive format")."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path, create: bool = False) -> Archive:
        archive = cls(root)
        marker = archive.root / ARCHIVE_FILE
        if marker.is_file():
            info = _read_json(marker)
            if info.get("format") != "bantin-archive":
                raise ArchiveError(f"{marker}: not a bantin archive")
            if info.get("version") != FORMAT_VERSION:
                raise ArchiveError(
                    f"{marker}: archive format version {info.get('version')}, "
                    f"this bantin reads version {FORMAT_VERSION}"
                )
        elif create:
            if archive.root.exists() and any(archive.root.iterdir()):
                raise ArchiveError(f"{archive.root}: folder is not empty and not a bantin archive")
            (archive.root / "issues").mkdir(parents=True, exist_ok=True)
            write_atomic(
                marker,
                json.dumps({"format": "bantin-archive", "version": FORMAT_VERSION}).encode(),
            )
        else:
            raise ArchiveError(f"{archive.root}: no bantin archive here (run 'bantin ingest' first)")
        return archive

    @property
    def issues_dir(self) -> Path:
        return self.root / "issues"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writer at a time: a second ``bantin ingest`` on the same archive fails fast."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ArchiveError(f"{self.root}: another bantin process is writing") from None
            try:
                self._clear_staging()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _clear_staging(self) -> None:
        """Leftovers of a crashed run; safe to drop because we hold the writer lock."""
        shutil.rmtree(self.root / ".staging", ignore_errors=True)

    # -- reading -----------------------------------------------------------------------------

    def issue_dir(self, issue_id: str) -> Path:
        if not issue_id or "/" in issue_id or issue_id.startswith("."):
            raise IssueNotFound(f"no issue {issue_id!r}")
        return self.issues_dir / issue_id

    def has_issue(self, issue_id: str) -> bool:
        return (self.issue_dir(issue_id) / ISSUE_FILE).is_file()

    def issue_ids(self) -> list[str]:
        if not self.issues_dir.is_dir():
            return []
        return sorted(p.name for p in self.issues_dir.iterdir() if (p / ISSUE_FILE).is_file())

    def load_issue(self, issue_id: str) -> IssueRecord:
        path = self.issue_dir(issue_id) / ISSUE_FILE
        if not path.is_file():
            raise IssueNotFound(f"no issue {issue_id!r} in {self.root}")
        try:
            return IssueRecord.from_dict(_read_json(path))
        except (TypeError, KeyError) as exc:
            raise ArchiveError(f"{path}: not a valid issue record ({exc})") from None

    def issues(self) -> list[IssueRecord]:
        """All issues, ordered by date (unknown dates last), then number and id."""
        records = [self.load_issue(i) for i in self.issue_ids()]
        return sorted(records, key=lambda r: (r.date is None, r.date or "", r.number or 0, r.id))

    def resolve_id(self, prefix: str) -> str:
        """Accept a unique id prefix, as git does for commits."""
        if self.has_issue(prefix):
            return prefix
        matches = [i for i in self.issue_ids() if i.startswith(prefix)]
        if len(matches) == 1:
            return matches[0]
        raise IssueNotFound(
            f"no issue {prefix!r}" if not matches else f"issue id {prefix!r} is ambiguous"
        )

    def page_file(self, issue_id: str, n: int, suffix: str) -> Path:
        return self.issue_dir(issue_id) / page_name(n, suffix)

    def page_text(self, issue_id: str, n: int) -> str:
        return self.page_file(issue_id, n, ".txt").read_text(encoding="utf-8")

    def verify(self, issue_id: str) -> list[str]:
        """Fixity check: files whose checksum no longer matches ``issue.json``."""
        record = self.load_issue(issue_id)
        folder = self.issue_dir(issue_id)
        problems = []
        for relpath, digest in record.files.items():
            path = folder / relpath
            if not path.is_file():
                problems.append(f"{issue_id}/{relpath}: missing")
            elif sha256_file(path) != digest:
                problems.append(f"{issue_id}/{relpath}: checksum mismatch")
        return problems

    # -- writing -----------------------------------------------------------------------------

    def stage(self, issue_id: str) -> StagedIssue:
        folder = self.root / ".staging" / f"{issue_id}.{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        return StagedIssue(folder)

    def commit(self, staged: StagedIssue, record: IssueRecord) -> IssueRecord:
        """Seal the staged issue (checksums, issue.json) and rename it into place atomically."""
        sealed = IssueRecord(
            **{
                **record.__dict__,
                "files": staged.checksums(),
                "derived": staged.derived,
                "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        staged.write(ISSUE_FILE, json.dumps(sealed.to_dict(), ensure_ascii=False, indent=2).encode())
        fsync_dir(staged._folder)
        target = self.issue_dir(record.id)
        self.issues_dir.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(staged._folder, target)
        except OSError as exc:
            staged.discard()
            raise ArchiveError(f"{target}: could not land issue: {exc}") from exc
        fsync_dir(self.issues_dir)
        return sealed

    def write_page_file(self, issue_id: str, relpath: str, data: bytes) -> None:
        """Add a derived file (e.g. a page's analysis) to a landed issue, atomically."""
        write_atomic(self.issue_dir(issue_id) / relpath, data)


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from the archive; a damaged file is an ArchiveError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArchiveError(f"{path}: unreadable ({exc})") from None
    if not isinstance(data, dict):
        raise ArchiveError(f"{path}: unreadable (not a JSON object)")
    return data

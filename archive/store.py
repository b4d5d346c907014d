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

from archive.format import FORMAT_VERSION, IssueRecord
from archive.fsutil import fsync_dir, sha256_file, write_atomic, write_durable

ARCHIVE_FILE = "archive.json"
ISSUE_FILE = "issue.json"


class ArchiveError(Exception):
    """The archive folder is unusable (wrong format version, locked, not an archive)."""


class IssueNotFound(ArchiveError):
    pass


def page_name(n: int, suffix: str) -> str:
    """``pages/0001.txt``: four digits keep a listing in page order up to 9999 pages."""
    return f"pages/{n:04d}{suffix}"


class StagedIssue:
    """An issue being written in the staging area; nothing is visible until committed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, relpath: str, data: bytes) -> None:
        write_durable(self.folder / relpath, data)

    def write_text(self, relpath: str, text: str) -> None:
        self.write(relpath, text.encode("utf-8"))

    def copy_source(self, source: Path) -> None:
        """Keep the original scan (a file, or a folder of page images) under ``source/``."""
        target = self.folder / "source" / source.name
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

    def checksums(self) -> dict[str, str]:
        return {
            path.relative_to(self.folder).as_posix(): sha256_file(path)
            for path in sorted(self.folder.rglob("*"))
            if path.is_file() and path.name != ISSUE_FILE
        }

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


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
            info = json.loads(marker.read_text(encoding="utf-8"))
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
        return IssueRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))

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
                "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        staged.write(ISSUE_FILE, json.dumps(sealed.to_dict(), ensure_ascii=False, indent=2).encode())
        fsync_dir(staged.folder)
        target = self.issue_dir(record.id)
        self.issues_dir.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(staged.folder, target)
        except OSError as exc:
            staged.discard()
            raise ArchiveError(f"{target}: could not land issue: {exc}") from exc
        fsync_dir(self.issues_dir)
        return sealed

    def write_page_file(self, issue_id: str, relpath: str, data: bytes) -> None:
        """Add a derived file (e.g. a page's analysis) to a landed issue, atomically."""
        write_atomic(self.issue_dir(issue_id) / relpath, data)

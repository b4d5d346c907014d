"""The archive on disk: reading issues and landing new ones atomically.

An issue is assembled in ``.staging/`` and renamed into ``issues/<id>`` only when
every file is written and fsync'd, so a crash never leaves a half issue behind.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import socket
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from archive.errors import ArchiveError, IssueNotFound, _
from archive.format import FORMAT_VERSION, VISIBILITIES, IssueRecord, upgraded
from archive.fsutil import fsync_dir, fsync_file, sha256_bytes, sha256_file, write_atomic, write_durable

ARCHIVE_FILE = "archive.json"
ISSUE_FILE = "issue.json"
SETTINGS_FILE = "settings.json"  # the archive's own settings (search log, default visibility)
NEW = ".new"  # a file's replacement, written before it is renamed into place
REPLACING = ".replacing"  # one file per issue whose files are being replaced: their paths
PENDING = ".pending"  # issue.json as it will be once the replacements are in place
LOCK_FILE = ".lock"
STAGING = ".staging"

log = logging.getLogger("bantin.archive")


def page_name(n: int, suffix: str) -> str:
    """``pages/0001.txt``: four digits keep a listing in page order up to 9999 pages."""
    return f"pages/{n:04d}{suffix}"


EDITABLE = ("number", "date", "title", "visibility")
ARTICLE_EDITS = ("article.title", "article.join", "article.split")
SYNC_THREADS = 8  # fsyncs in flight at once when a staged issue is sealed


@dataclass(frozen=True)
class Problem:
    """What ``verify`` found wrong with one path (relative to the archive or an issue)."""

    path: str
    kind: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}"


class StagedIssue:
    """An issue being written in the staging area; nothing is visible until committed.

    Files written with ``derived=True`` (anything the index can recompute) are listed in
    ``issue.json`` apart from the checksummed source-of-truth files. A file's checksum
    is taken as it is written; every file is fsync'd by ``sync`` before the issue is
    sealed, all at once (a file at a time costs a disk flush each, and the writer waits).
    """

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._derived: set[str] = set()
        self._sums: dict[str, str] = {}  # relpath -> sha256, for files written from memory
        self._unsynced: set[str] = set()

    def path(self, relpath: str) -> Path:
        """Where a member file lives, for a tool that reads it by name."""
        return self._folder / relpath

    def write(self, relpath: str, data: bytes, *, derived: bool = False) -> None:
        path = self._folder / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self._unsynced.add(relpath)
        if derived:
            self._derived.add(relpath)
        else:
            self._sums[relpath] = sha256_bytes(data)

    def write_text(self, relpath: str, text: str, *, derived: bool = False) -> None:
        self.write(relpath, text.encode("utf-8"), derived=derived)

    @contextmanager
    def writing(self, relpath: str) -> Iterator[BinaryIO]:
        """A member file to stream into (e.g. a PDF writer)."""
        path = self._folder / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        self._sums.pop(relpath, None)
        with path.open("wb") as out:
            yield out
        self._unsynced.add(relpath)

    def read_text(self, relpath: str) -> str:
        return (self._folder / relpath).read_text(encoding="utf-8")

    def remove(self, relpath: str) -> None:
        """Drop an intermediate file (e.g. a page's text layer once merged into issue.pdf)."""
        (self._folder / relpath).unlink(missing_ok=True)
        self._sums.pop(relpath, None)
        self._unsynced.discard(relpath)

    def copy_file(self, relpath: str, source: Path) -> None:
        """A member file copied from ``source`` (streamed, not read into memory)."""
        target = self._folder / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        self._sums.pop(relpath, None)
        shutil.copyfile(source, target)
        self._unsynced.add(relpath)

    def sync(self) -> None:
        """fsync every file written and every folder holding one, together: the disk
        flushes once for many files. Raises the first error (a full disk shows here)."""
        paths = [self._folder / relpath for relpath in self._unsynced]
        folders = {p.parent for p in paths} | {self._folder}
        with ThreadPoolExecutor(SYNC_THREADS) as pool:
            list(pool.map(fsync_file, paths))
            list(pool.map(fsync_dir, folders))
        self._unsynced.clear()

    def copy_source(self, name: str, files: Iterable[tuple[str, Path]]) -> None:
        """Keep the original scan under ``source/<name>``: a file, or a folder's page images
        (each by its path in the folder; links are never followed into the archive)."""
        for relpath, path in files:
            self.copy_file(f"source/{name}/{relpath}" if relpath else f"source/{name}", path)

    @property
    def derived(self) -> list[str]:
        return sorted(self._derived)

    def checksums(self) -> dict[str, str]:
        """sha256 of every source-of-truth file (not ``issue.json``, not derived files)."""
        return {
            relpath: self._sums.get(relpath) or sha256_file(path)
            for path in sorted(self._folder.rglob("*"))
            if path.is_file() and path.name != ISSUE_FILE
            and (relpath := path.relative_to(self._folder).as_posix()) not in self._derived
        }

    def discard(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)


def _left_by_creation(entry: Path) -> bool:
    """What a creation cut short leaves (an empty ``issues`` folder, the marker's temporary
    file): the folder is still free to become an archive."""
    if entry.name == "issues":
        return entry.is_dir() and not any(entry.iterdir())
    return entry.name.startswith(f".{ARCHIVE_FILE}.") and entry.name.endswith(".tmp")


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
            info = read_json(marker)
            if info.get("format") != "bantin-archive":
                raise ArchiveError(_("{marker}: not a bantin archive").format(marker=marker))
            version = info.get("version")
            if isinstance(version, int) and version < FORMAT_VERSION:
                raise ArchiveError(_("{marker}: archive format version {version}, this bantin reads version "
                                     "{current}: run 'bantin migrate --archive {root}'")
                    .format(marker=marker, version=version, current=FORMAT_VERSION, root=root))
            if version != FORMAT_VERSION:
                raise ArchiveError(
                    _("{marker}: archive format version {version}, this bantin reads version {current}")
                        .format(marker=marker, version=version, current=FORMAT_VERSION)
                )
        elif create:
            left = list(archive.root.iterdir()) if archive.root.exists() else []
            if not all(_left_by_creation(entry) for entry in left):
                raise ArchiveError(_("{root}: folder is not empty and not a bantin archive")
                    .format(root=archive.root))
            for entry in left:
                if entry.is_file():
                    entry.unlink()
            (archive.root / "issues").mkdir(parents=True, exist_ok=True)
            write_atomic(
                marker,
                json.dumps({"format": "bantin-archive", "version": FORMAT_VERSION}).encode(),
            )
        else:
            raise ArchiveError(_("{root}: no bantin archive here (run 'bantin ingest' first)")
                .format(root=archive.root))
        return archive

    def settings(self) -> dict[str, Any]:
        """``<archive>/settings.json``, written by the archivist (empty when absent)."""
        path = self.root / SETTINGS_FILE
        return read_json(path) if path.is_file() else {}

    def default_visibility(self) -> str:
        """What a new issue is unless its ingest says otherwise (settings.json's
        ``default_visibility``; public when unset)."""
        value = self.settings().get("default_visibility", "public")
        if value not in VISIBILITIES:
            raise ArchiveError(_("{settings}: default_visibility must be one of {items}, not {value!r}")
                .format(settings=self.root / SETTINGS_FILE, items=', '.join(VISIBILITIES), value=value))
        return str(value)

    @property
    def issues_dir(self) -> Path:
        return self.root / "issues"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def trusted_counts(self) -> Path:
        """Where the index keeps the counts of the archive's trusted text (derived)."""
        return self.index_dir / "trusted.json"

    @contextmanager
    def writer_lock(self, purpose: str = "ingest", wait: bool = False) -> Iterator[None]:
        """One writer at a time. A second writer fails at once naming the holder, or with
        ``wait`` waits for it. The lock is the kernel's (flock): it dies with its process,
        so a lock file left by a killed process is stale by construction, and said so."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK_FILE).open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(handle)
                if not wait:
                    raise ArchiveError(_("{root}: locked by {holder}; wait for it to finish (or use --wait)")
                        .format(root=self.root, holder=holder)) from None
                log.info("waiting for %s to finish", holder)
                fcntl.flock(handle, fcntl.LOCK_EX)
            left = _holder(handle)
            if left != "another bantin process":
                log.info("cleared a stale lock left by %s (no longer running)", left)
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} on {socket.gethostname()}, "
                         f"bantin {purpose} since {datetime.now(UTC).isoformat(timespec='seconds')}\n")
            handle.flush()
            try:
                self._clear_staging()
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                handle.flush()
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _clear_staging(self) -> None:
        """Leftovers of a crashed run; safe to drop because we hold the writer lock. A
        correction cut short is finished or undone (``replace_files``)."""
        shutil.rmtree(self.root / ".staging", ignore_errors=True)
        replacing = self.root / REPLACING
        for marker in sorted(replacing.iterdir()) if replacing.is_dir() else []:
            self._finish_replacing(marker.name)

    # -- reading -----------------------------------------------------------------------------

    def issue_dir(self, issue_id: str) -> Path:
        if not issue_id or "/" in issue_id or issue_id.startswith("."):
            raise IssueNotFound(_("no issue {issue_id!r}").format(issue_id=issue_id))
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
            raise IssueNotFound(_("no issue {issue_id!r} in {root}")
                .format(issue_id=issue_id, root=self.root))
        try:
            return IssueRecord.from_dict(read_json(path))
        except (TypeError, KeyError) as exc:
            raise ArchiveError(_("{path}: not a valid issue record ({exc})")
                .format(path=path, exc=exc)) from None

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
        """Fixity of one issue: "id/path: problem" for each file missing, changed or not
        listed in its ``issue.json``."""
        return [str(p) for p in self._check_issue(self.load_issue(issue_id))]

    def check(self) -> list[Problem]:
        """Fixity of the whole archive: every issue's files, folders that are not issues,
        and what a crashed writer left in staging."""
        problems: list[Problem] = []
        if self.issues_dir.is_dir():
            for folder in sorted(self.issues_dir.iterdir()):
                where = f"issues/{folder.name}"
                if not (folder / ISSUE_FILE).is_file():
                    problems.append(Problem(where, _("unexpected (not an issue: no issue.json)")))
                    continue
                try:
                    record = self.load_issue(folder.name)
                except ArchiveError as exc:
                    problems.append(Problem(where, _("unreadable issue.json ({error})").format(error=exc)))
                    continue
                problems += self._check_issue(record)
        staging = self.root / STAGING
        if staging.is_dir() and any(staging.iterdir()):
            problems.append(Problem(STAGING, _("leftovers of an interrupted writer (the next ingest "
                                               "removes them)")))
        replacing = self.root / REPLACING
        if replacing.is_dir() and any(replacing.iterdir()):
            problems.append(Problem(REPLACING, _("a correction cut short (the next writer finishes or "
                                                 "undoes it)")))
        return problems

    def _check_issue(self, record: IssueRecord) -> list[Problem]:
        folder = self.issue_dir(record.id)
        problems = []
        for relpath, digest in record.files.items():
            path = folder / relpath
            if not path.is_file():
                problems.append(Problem(f"{record.id}/{relpath}", _("missing")))
            elif sha256_file(path) != digest:
                problems.append(Problem(f"{record.id}/{relpath}", _("checksum mismatch")))
        known = {*record.files, *record.derived, ISSUE_FILE}
        for path in sorted(folder.rglob("*")):
            relpath = path.relative_to(folder).as_posix()
            if (path.is_file() or path.is_symlink()) and relpath not in known:
                problems.append(Problem(f"{record.id}/{relpath}", _("unexpected file")))
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
        staged.sync()
        target = self.issue_dir(record.id)
        self.issues_dir.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(staged._folder, target)
        except OSError as exc:
            staged.discard()
            raise ArchiveError(_("{target}: could not land issue: {exc}")
                .format(target=target, exc=exc)) from exc
        fsync_dir(self.issues_dir)
        return sealed

    def write_derived(self, issue_id: str, relpath: str, data: bytes) -> None:
        """Add or replace a derived file (a page's analysis) of a landed issue, atomically;
        ``issue.json`` lists it as derived (not checksummed)."""
        write_atomic(self.issue_dir(issue_id) / relpath, data)
        record = self.load_issue(issue_id)
        if relpath not in record.derived:
            self._rewrite(replace(record, derived=sorted({*record.derived, relpath})))

    def replace_files(self, issue_id: str, files: dict[str, bytes], stale: tuple[str, ...] = (),
                      changes: dict[str, Any] | None = None) -> IssueRecord:
        """Replace or add source-of-truth files of a landed issue (a person's correction
        of a page), their checksums in ``issue.json`` updated with them, in two phases: every
        new file is written beside its target as ``NAME.new`` and the new ``issue.json`` as
        ``issue.json.pending``; then each is renamed into place. The files being replaced
        are listed first in ``<archive>/.replacing/<issue>``, so that the next writer finds
        a replacement cut short without walking the issues: before the pending record is
        complete it is undone (the ``.new`` files dropped), after it is finished. ``stale``:
        derived files to drop (they are recomputed); ``changes``: other fields of the
        record. The caller holds the writer lock."""
        folder = self.issue_dir(issue_id)
        record = self.load_issue(issue_id)
        (self.root / REPLACING).mkdir(exist_ok=True)
        write_atomic(self.root / REPLACING / issue_id, json.dumps(sorted(files)).encode())
        for relpath, data in files.items():
            write_durable(folder / f"{relpath}{NEW}", data)
        sums = {**record.files, **{relpath: sha256_bytes(data) for relpath, data in files.items()}}
        derived = [d for d in record.derived if d not in stale]
        updated = replace(record, files=dict(sorted(sums.items())), derived=derived, **(changes or {}))
        write_atomic(folder / f"{ISSUE_FILE}{PENDING}",
                     json.dumps(updated.to_dict(), ensure_ascii=False, indent=2).encode())
        for relpath in stale:
            (folder / relpath).unlink(missing_ok=True)
        self._finish_replacing(issue_id)
        return updated

    def _finish_replacing(self, issue_id: str) -> None:
        """Roll a replacement forward (its pending record is complete) or back."""
        marker = self.root / REPLACING / issue_id
        folder = self.issue_dir(issue_id)
        news = [folder / f"{relpath}{NEW}" for relpath in json.loads(marker.read_text(encoding="utf-8"))]
        pending = folder / f"{ISSUE_FILE}{PENDING}"
        if pending.is_file():
            for path in news:
                if path.is_file():  # else renamed before the crash
                    os.replace(path, path.with_name(path.name.removesuffix(NEW)))
                    fsync_dir(path.parent)
            os.replace(pending, folder / ISSUE_FILE)
            fsync_dir(folder)
            os.utime(self.issues_dir)
        else:
            for path in news:
                path.unlink(missing_ok=True)
        marker.unlink()

    def _rewrite(self, record: IssueRecord) -> None:
        data = json.dumps(record.to_dict(), ensure_ascii=False, indent=2).encode()
        write_atomic(self.issue_dir(record.id) / ISSUE_FILE, data)
        # readers cache the issue list by this folder's time: a changed visibility must show
        os.utime(self.issues_dir)

    def edit(self, issue_id: str, changes: dict[str, Any], note: str | None = None,
             by: str | None = None) -> IssueRecord:
        """Correct an issue's metadata (number, date, title, visibility); each change is kept
        in its history (when, old value, new value, note, and who: ``by``, an account
        name, when the change came through the web). The caller holds the writer lock."""
        record = self.load_issue(issue_id)
        moment = datetime.now(UTC).isoformat(timespec="seconds")
        history = list(record.history)
        provenance = dict(record.provenance)
        for name, value in changes.items():
            if name not in EDITABLE:
                raise ArchiveError(_("{name} cannot be edited (only {items})")
                    .format(name=name, items=', '.join(EDITABLE)))
            if name == "visibility" and value not in VISIBILITIES:
                raise ArchiveError(_("visibility must be one of {items}, not {value!r}")
                    .format(items=', '.join(VISIBILITIES), value=value))
            old = getattr(record, name)
            if old == value:
                continue
            history.append({"at": moment, "field": name, "old": old, "new": value, "note": note,
                            **({"by": by} if by else {})})
            provenance[name] = "edited"
        edited = replace(record, **changes, history=history, provenance=provenance)
        self._rewrite(edited)
        return edited

    def edit_article(self, issue_id: str, field_name: str, anchor: tuple[int, int], old: str | None,
                     new: str | None, note: str | None = None, by: str | None = None) -> IssueRecord:
        """Record an archivist's correction of an article (``article.title``,
        ``article.join`` or ``article.split``) in the issue's history, where the segmenter
        finds and replays it: the article is named by the line it starts at (``anchor``:
        page, hOCR line index), which a new segmentation keeps. The caller holds the
        writer lock."""
        if field_name not in ARTICLE_EDITS:
            raise ArchiveError(_("{field_name}: not an article correction ({items})")
                .format(field_name=field_name, items=', '.join(ARTICLE_EDITS)))
        record = self.load_issue(issue_id)
        entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "field": field_name,
                 "anchor": list(anchor), "old": old, "new": new, "note": note, **({"by": by} if by else {})}
        edited = replace(record, history=[*record.history, entry])
        self._rewrite(edited)
        return edited

    def remove(self, issue_id: str) -> None:
        """Take an issue out of the archive: one rename makes it disappear, then its files
        are deleted. The caller holds the writer lock."""
        folder = self.issue_dir(issue_id)
        if not (folder / ISSUE_FILE).is_file():
            raise IssueNotFound(_("no issue {issue_id!r} in {root}")
                .format(issue_id=issue_id, root=self.root))
        trash = self.root / STAGING / f"removed-{issue_id}.{uuid.uuid4().hex[:8]}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        os.rename(folder, trash)
        fsync_dir(self.issues_dir)
        shutil.rmtree(trash)

    def import_issue(self, folder: Path) -> IssueRecord:
        """Land an issue folder exported from a bantin archive (a BagIt bag's payload) as
        it is: same id, same files, same ``issue.json``, every checksum verified first.
        The caller holds the writer lock."""
        record = IssueRecord.from_dict(upgraded(read_json(folder / ISSUE_FILE)))
        staged = self.stage(record.id)
        try:
            for path in sorted(folder.rglob("*")):
                if path.is_symlink() or not path.is_file():
                    continue
                staged.copy_file(path.relative_to(folder).as_posix(), path)
            for relpath, digest in record.files.items():
                if not staged.path(relpath).is_file() or sha256_file(staged.path(relpath)) != digest:
                    raise ArchiveError(_("{folder}/{relpath}: missing or changed; not imported")
                        .format(folder=folder, relpath=relpath))
            # a bag of an older format lands in this one (its files are unchanged)
            staged.write(ISSUE_FILE, json.dumps(record.to_dict(), ensure_ascii=False, indent=2).encode())
            staged.sync()
            self.issues_dir.mkdir(parents=True, exist_ok=True)
            os.rename(staged._folder, self.issue_dir(record.id))
        except BaseException:
            staged.discard()
            raise
        fsync_dir(self.issues_dir)
        return record


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from the archive; a damaged file is an ArchiveError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArchiveError(_("{path}: unreadable ({exc})").format(path=path, exc=exc)) from None
    if not isinstance(data, dict):
        raise ArchiveError(_("{path}: unreadable (not a JSON object)").format(path=path))
    return data


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    return handle.read().strip() or "another bantin process"

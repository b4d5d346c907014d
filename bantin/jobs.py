"""The ingest queue: uploads wait in the state database and one worker at a time runs
the same ingest as ``bantin ingest`` on them (the archive keeps one writer: its lock).

A job's files live in ``<archive>/uploads/<job>/`` until it is done: PDFs, images,
multi-page TIFFs, folders of page images, ZIPs of such folders (unpacked by the worker,
never outside the job's folder) and an optional manifest CSV (``.manifest.csv``). Every server
process runs a ``JobWorker`` thread; a job is claimed by one atomic UPDATE, so two
processes never run the same job. A job whose worker died (a crash, a restart) is put
back in the queue when a worker next starts: nothing uploaded is lost.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from archive import BantinError
from bantin.ingesting import index_hooks
from bantin.state import State
from index import IngestIndexer
from pipeline import IngestOptions, ingest

log = logging.getLogger("bantin.jobs")
UPLOADS = "uploads"
MANIFEST = ".manifest.csv"  # a job's metadata CSV, as --manifest takes it
POLL_SECONDS = 1.0
STATES = ("queued", "running", "done", "failed")
MAX_UNPACKED = 8 * 1024**3  # a ZIP may unpack to this much at most
COLUMNS = ("id, state, user_name, files, created, started, finished, pages_done, pages_total, outcomes, "
           "message")


@dataclass(frozen=True)
class Job:
    id: int
    state: str
    user: str
    files: list[str]
    created: str
    started: float | None
    finished: float | None
    pages_done: int
    pages_total: int
    outcomes: list[dict[str, Any]]
    message: str

    @property
    def eta(self) -> float | None:
        """Seconds left, from the pace so far (None before the first page is done)."""
        if self.state != "running" or not self.started or not self.pages_done or not self.pages_total:
            return None
        pace = (time.time() - self.started) / self.pages_done
        return max(0.0, pace * (self.pages_total - self.pages_done))

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``GET /api/jobs/{id}``."""
        eta = self.eta
        return {"job": self.id, "state": self.state, "user": self.user, "files": self.files,
                "created": self.created, "pages_done": self.pages_done, "pages_total": self.pages_total,
                "eta_seconds": round(eta) if eta is not None else None,
                "outcomes": self.outcomes, "message": self.message}


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class JobQueue:
    state: State
    archive_root: Path

    @property
    def uploads(self) -> Path:
        return self.archive_root / UPLOADS

    def folder(self) -> Path:
        """A new folder for a job's files (filled before ``add``)."""
        self.uploads.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        for n in range(1000):
            candidate = self.uploads / f"{stamp}-{os.getpid()}-{n}"
            try:
                candidate.mkdir()
                return candidate
            except FileExistsError:
                continue
        raise BantinError(f"{self.uploads}: no free folder for an upload")

    def add(self, folder: Path, files: list[str], user: str) -> int:
        cursor = self.state.db().execute(
            "INSERT INTO jobs (state, user_name, folder, files, created) VALUES ('queued', ?, ?, ?, ?)",
            (user, str(folder), json.dumps(files, ensure_ascii=False),
             datetime.now(UTC).isoformat(timespec="seconds")))
        return int(cursor.lastrowid or 0)

    def job(self, job_id: int) -> Job | None:
        row = self.state.db().execute(f"SELECT {COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def recent(self, count: int = 20) -> list[Job]:
        rows = self.state.db().execute(f"SELECT {COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?", (count,))
        return [_job(row) for row in rows.fetchall()]

    def claim(self) -> tuple[int, Path] | None:
        """The oldest queued job, now running here; None when the queue is empty."""
        row = self.state.db().execute(
            "UPDATE jobs SET state = 'running', worker = ?, started = ? WHERE id = "
            "(SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1) RETURNING id, folder",
            (_worker_name(), time.time())).fetchone()
        return (int(row[0]), Path(row[1])) if row else None

    def requeue_orphans(self) -> int:
        """Jobs left running by a process of this host that is gone: queued again."""
        host = socket.gethostname()
        orphans = []
        for job_id, worker in self.state.db().execute(
                "SELECT id, worker FROM jobs WHERE state = 'running'").fetchall():
            name, _, pid = str(worker).rpartition(":")
            if name == host and pid.isdigit() and not _alive(int(pid)):
                orphans.append(job_id)
        self.state.db().executemany("UPDATE jobs SET state = 'queued', worker = NULL WHERE id = ?",
                                    [(j,) for j in orphans])
        return len(orphans)

    def progress(self, job_id: int, done: int, total: int) -> None:
        self.state.db().execute("UPDATE jobs SET pages_done = ?, pages_total = ? WHERE id = ?",
                                (done, total, job_id))

    def finish(self, job_id: int, state: str, outcomes: list[dict[str, Any]], message: str = "") -> None:
        self.state.db().execute(
            "UPDATE jobs SET state = ?, outcomes = ?, message = ?, finished = ? WHERE id = ?",
            (state, json.dumps(outcomes, ensure_ascii=False), message, time.time(), job_id))

    def run(self, job_id: int, folder: Path) -> None:
        """Ingest a job's files as ``bantin ingest`` would (waiting for another writer)."""
        def progress(done: int, total: int) -> None:
            self.progress(job_id, done, total)

        zips = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".zip")
        bad = [{"path": z.name, "status": "failed", "issue_id": None, "message": problem}
               for z, problem in map(unpack_zip, zips) if problem]
        paths = sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p not in zips)
        manifest = folder / MANIFEST
        try:
            report = ingest(paths, self.archive_root,
                            IngestOptions(wait=True, manifest=manifest if manifest.is_file() else None),
                            index_hooks(IngestIndexer(self.archive_root), progress=progress))
        except BantinError as exc:
            self.finish(job_id, "failed", [], str(exc))
            return
        except Exception as exc:  # a bug must not stop the worker: the job says what happened
            self.finish(job_id, "failed", [], f"unexpected error: {type(exc).__name__}: {exc}")
            return
        outcomes = bad + [{"path": o.path.relative_to(folder).as_posix() if o.path.is_relative_to(folder)
                           else o.path.name, "status": o.status.value, "issue_id": o.issue_id,
                           "message": o.message} for o in report.outcomes]
        self.finish(job_id, "done", outcomes)
        shutil.rmtree(folder, ignore_errors=True)


def _job(row: tuple[Any, ...]) -> Job:
    return Job(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6], row[7], row[8],
               json.loads(row[9]), row[10])


def unpack_zip(path: Path) -> tuple[Path, str]:
    """A ZIP of page folders unpacked beside it, into a folder of its name; the problem,
    if any ("" when it unpacked). A member naming a place outside that folder, or a ZIP
    that would unpack past MAX_UNPACKED, is refused whole."""
    target = path.with_suffix("")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                return path, f"unpacks to more than {MAX_UNPACKED // 1024**3} GB"
            for member in members:
                name = PurePosixPath(member.filename)
                if name.is_absolute() or ".." in name.parts or "\\" in member.filename:
                    return path, f"member {member.filename!r} points outside the ZIP's folder"
            archive.extractall(target)
    except (zipfile.BadZipFile, OSError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        return path, f"not a readable ZIP ({exc})"
    return path, ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class JobWorker:
    """A thread that runs queued jobs one at a time until ``stop``."""

    queue: JobQueue
    wake: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.queue.requeue_orphans()
        self.thread = threading.Thread(target=self._loop, name="bantin-jobs", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                claimed = self.queue.claim()
                if claimed is not None:
                    self.queue.run(*claimed)
                    continue
            except Exception:  # a locked or damaged database: said, and tried again
                log.exception("ingest queue")
            self.wake.wait(POLL_SECONDS)
            self.wake.clear()

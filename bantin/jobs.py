"""The ingest queue: uploads wait in the state database and one worker at a time runs
the same ingest as ``bantin ingest`` on them (the archive keeps one writer: its lock).

A job's files live in ``<archive>/uploads/<job>/`` until it is done. Every server
process runs a ``JobWorker`` thread; a job is claimed by one atomic UPDATE, so two
processes never run the same job. A job whose worker died (a crash, a restart) is put
back in the queue when a worker next starts: nothing uploaded is lost.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive import BantinError
from bantin.ingesting import index_hooks
from bantin.state import State
from index import IngestIndexer
from pipeline import IngestOptions, ingest

UPLOADS = "uploads"
POLL_SECONDS = 1.0
STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True)
class Job:
    id: int
    state: str
    user: str
    files: list[str]
    created: str
    pages_done: int
    pages_total: int
    outcomes: list[dict[str, Any]]
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``GET /api/jobs/{id}``."""
        return {"job": self.id, "state": self.state, "user": self.user, "files": self.files,
                "created": self.created, "pages_done": self.pages_done, "pages_total": self.pages_total,
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
        row = self.state.db().execute(
            "SELECT id, state, user_name, files, created, pages_done, pages_total, outcomes, message "
            "FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        return Job(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6], json.loads(row[7]),
                   row[8])

    def claim(self) -> tuple[int, Path] | None:
        """The oldest queued job, now running here; None when the queue is empty."""
        row = self.state.db().execute(
            "UPDATE jobs SET state = 'running', worker = ? WHERE id = "
            "(SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1) RETURNING id, folder",
            (_worker_name(),)).fetchone()
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
        self.state.db().execute("UPDATE jobs SET state = ?, outcomes = ?, message = ? WHERE id = ?",
                                (state, json.dumps(outcomes, ensure_ascii=False), message, job_id))

    def run(self, job_id: int, folder: Path) -> None:
        """Ingest a job's files as ``bantin ingest`` would (waiting for another writer)."""
        def progress(done: int, total: int) -> None:
            self.progress(job_id, done, total)

        paths = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
        try:
            report = ingest(paths, self.archive_root, IngestOptions(wait=True),
                            index_hooks(IngestIndexer(self.archive_root), progress=progress))
        except BantinError as exc:
            self.finish(job_id, "failed", [], str(exc))
            return
        except Exception as exc:  # a bug must not stop the worker: the job says what happened
            self.finish(job_id, "failed", [], f"unexpected error: {type(exc).__name__}: {exc}")
            return
        outcomes = [{"path": o.path.name, "status": o.status.value, "issue_id": o.issue_id,
                     "message": o.message} for o in report.outcomes]
        self.finish(job_id, "done", outcomes)
        shutil.rmtree(folder, ignore_errors=True)


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
            claimed = self.queue.claim()
            if claimed is None:
                self.wake.wait(POLL_SECONDS)
                self.wake.clear()
                continue
            self.queue.run(*claimed)

"""The server's own state, kept apart from the plain-file archive: accounts, sessions, API
tokens, failed logins, usage counts and ingest jobs, in one SQLite file beside the
archive's index (``<archive>/state.sqlite3``), in WAL mode so that several server
processes read while one writes.

The schema is versioned with SQLite's ``user_version`` and migrated in place on open:
each entry of ``MIGRATIONS`` takes the schema one version up, in one transaction.
Back it up with ``sqlite3 state.sqlite3 ".backup copy.sqlite3"`` (safe while serving).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from archive import ArchiveError

STATE_FILE = "state.sqlite3"
BUSY_MS = 5000  # a writer waits this long for another process's write to finish

MIGRATIONS: tuple[str, ...] = (
    # 1: accounts, sessions, API tokens, failed logins, usage counts per ISO week
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('reader', 'archivist', 'admin')),
        password_hash TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        expires REAL NOT NULL
    );
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL
    );
    CREATE TABLE login_failures (key TEXT NOT NULL, at REAL NOT NULL);
    CREATE INDEX login_failures_by_key ON login_failures (key, at);
    CREATE TABLE usage (
        week TEXT NOT NULL,
        kind TEXT NOT NULL,
        issue TEXT NOT NULL DEFAULT '',
        count INTEGER NOT NULL,
        PRIMARY KEY (week, kind, issue)
    ) WITHOUT ROWID;
    """,
    # 2: the ingest queue (uploads from the browser and the API)
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        user_name TEXT NOT NULL,
        folder TEXT NOT NULL,
        files TEXT NOT NULL,
        created TEXT NOT NULL,
        started REAL,
        finished REAL,
        worker TEXT,
        pages_done INTEGER NOT NULL DEFAULT 0,
        pages_total INTEGER NOT NULL DEFAULT 0,
        outcomes TEXT NOT NULL DEFAULT '[]',
        message TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX jobs_by_state ON jobs (state, id);
    """,
)


@dataclass
class State:
    """The state database of one archive. A connection per thread (sqlite3 connections
    are not shared between threads); open once per process."""

    path: Path
    _local: threading.local = field(default_factory=threading.local)

    @classmethod
    def open(cls, archive_root: Path) -> State:
        """Open (creating and migrating as needed) the state beside the archive."""
        if not (archive_root / "archive.json").is_file():
            raise ArchiveError(f"{archive_root}: no bantin archive here")
        state = cls(archive_root / STATE_FILE)
        state.migrate()
        return state

    @property
    def version(self) -> int:
        return int(self.db().execute("PRAGMA user_version").fetchone()[0])

    def db(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None,
                                         check_same_thread=True)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")  # durable at each checkpoint
            connection.execute("PRAGMA foreign_keys = ON")
            self._local.connection = connection
        return connection

    def migrate(self) -> None:
        """Bring the schema to ``len(MIGRATIONS)``; a newer file than this bantin knows is
        refused rather than written."""
        db = self.db()
        db.execute("BEGIN IMMEDIATE")  # one process migrates; the others then find it done
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                raise ArchiveError(f"{self.path}: state schema version {version} is newer than this "
                                   f"bantin's ({len(MIGRATIONS)})")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

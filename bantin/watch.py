"""``bantin watch``: a folder that scanners and shared drives drop scans into. Whatever
lands in it (a PDF, a TIFF, an image, a folder of page images) is ingested once it has
stopped growing, then moved to ``done/``, or to ``failed/`` with a one-line reason file
beside it (``NAME.reason.txt``).

The folder itself is the state: what is still in it after a crash or a restart is
simply ingested again (an issue already in the archive is reported present, never
duplicated), so nothing dropped is lost and nothing is taken twice.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bantin.ingesting import index_hooks
from index import IngestIndexer
from pipeline import IngestOptions, Status, ingest

DONE = "done"
FAILED = "failed"
REASON = ".reason.txt"
PARTIAL = (".part", ".crdownload", ".tmp")  # names of copies still being written

Report = Callable[[str], None]


@dataclass(frozen=True)
class Landed:
    """What became of one dropped entry."""

    name: str
    done: bool
    reason: str = ""


def fingerprint(path: Path) -> tuple[int, int, int]:
    """Size, file count and newest change of a file or folder: unchanged over a whole
    settle period means the copy has finished."""
    if path.is_file():
        stat = path.stat()
        return stat.st_size, 1, stat.st_mtime_ns
    size = count = newest = 0
    for root, _, files in os.walk(path):
        for name in files:
            stat = (Path(root) / name).stat()
            size, count, newest = size + stat.st_size, count + 1, max(newest, stat.st_mtime_ns)
    return size, count, newest


@dataclass
class WatchFolder:
    folder: Path
    archive_root: Path
    settle: float = 10.0  # seconds an entry must stay unchanged
    options: IngestOptions = field(default_factory=lambda: IngestOptions(wait=True))
    seen: dict[str, tuple[tuple[int, int, int], float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for sub in (DONE, FAILED):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)

    def ready(self, now: float | None = None) -> list[Path]:
        """Entries unchanged for ``settle`` seconds (hidden names and partial downloads
        are left alone)."""
        now = time.monotonic() if now is None else now
        found = []
        current = set()
        for entry in sorted(self.folder.iterdir()):
            name = entry.name
            if name in (DONE, FAILED) or name.startswith(".") or name.endswith(PARTIAL):
                continue
            current.add(name)
            try:
                mark = fingerprint(entry)
            except OSError:
                continue  # moved away while looked at
            previous = self.seen.get(name)
            if previous is None or previous[0] != mark:
                self.seen[name] = (mark, now)
            elif now - previous[1] >= self.settle:
                found.append(entry)
        self.seen = {k: v for k, v in self.seen.items() if k in current}
        return found

    def land(self, entries: list[Path]) -> list[Landed]:
        """Ingest the entries in one batch and move each to done/ or failed/."""
        if not entries:
            return []
        hooks = index_hooks(IngestIndexer(self.archive_root))
        report = ingest(entries, self.archive_root, self.options, hooks)
        landed = []
        for entry in entries:
            mine = [o for o in report.outcomes if o.path == entry or o.path.is_relative_to(entry)]
            failed = [o for o in mine if o.status is Status.failed]
            reason = "; ".join(f"{o.path.relative_to(self.folder)}: {' '.join(o.message.split())}"
                               for o in failed)
            if not mine:
                reason = "nothing to ingest"
            landed.append(self._move(entry, Landed(entry.name, not reason, reason)))
            self.seen.pop(entry.name, None)
        return landed

    def _move(self, entry: Path, landed: Landed) -> Landed:
        target = self.folder / (DONE if landed.done else FAILED) / entry.name
        if target.exists():  # the same name dropped again: keep both
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            target = target.with_name(f"{stamp}-{entry.name}")
        shutil.move(str(entry), target)
        if not landed.done:
            target.with_name(target.name + REASON).write_text(landed.reason + "\n", encoding="utf-8")
        return landed

    def run(self, interval: float = 2.0, once: bool = False, report: Report | None = None) -> None:
        """Watch until interrupted; ``once``: land what has arrived (each entry once it
        has settled) and return; an entry still growing after ten settle periods is left
        for the next run."""
        started = time.monotonic()
        while True:
            for landed in self.land(self.ready()):
                if report:
                    report(f"{'done' if landed.done else 'failed'}: {landed.name}"
                           + (f": {landed.reason}" if landed.reason else ""))
            if once and (not self.seen or time.monotonic() - started > 10 * (self.settle + interval)):
                return
            time.sleep(interval)

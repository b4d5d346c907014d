"""Ingest: discover -> probe -> (rasterise -> OCR -> clean-up, per page, in parallel)
-> write to the archive, one issue at a time, by this process alone."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from archive import Archive, IssueRecord, PageRecord, StagedIssue
from archive.fsutil import sha256_file, sha256_tree
from archive.store import page_name
from pipeline.assemble import LAYER, PICTURE, assemble_issue_pdf
from pipeline.discover import Source, SourceKind, discover
from pipeline.errors import InputError, MissingDependency
from pipeline.metadata import Metadata, read_manifest, resolve
from pipeline.ocr import check_language
from pipeline.pages import PageResult, init_worker, process_page
from pipeline.probe import PageJob, plan_pages, with_text_layer

ID_LENGTH = 16  # hex digits of the source's sha256: unique for millions of issues
LOW_CONFIDENCE = 60.0  # mean word confidence under which a page is listed to re-check
IN_FLIGHT_PER_WORKER = 8  # pages queued per worker: enough to keep it busy, bounded memory

ProgressFn = Callable[[int, int], None]  # pages done, pages total
StageHook = Callable[[StagedIssue, IssueRecord], None]  # add derived files before landing
IssueHook = Callable[[Archive, IssueRecord], None]


class Status(StrEnum):
    added = "added"
    present = "present"
    failed = "failed"


@dataclass(frozen=True)
class Outcome:
    path: Path
    status: Status
    issue_id: str | None = None
    message: str = ""
    pages: int = 0
    low_confidence_pages: tuple[int, ...] = ()


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def with_status(self, status: Status) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is status]

    @property
    def ok(self) -> bool:
        return not self.with_status(Status.failed)


@dataclass
class _Pending:
    """An issue whose pages are being processed; pages land in staging as they finish."""

    source: Source
    issue_id: str
    sha256: str
    jobs: list[PageJob]
    staged: StagedIssue | None = None
    pages: dict[int, PageRecord] = field(default_factory=dict)
    first_page_text: str = ""
    futures: list[Future[PageResult]] = field(default_factory=list)
    failed: bool = False


def source_digest(source: Source) -> str:
    if source.kind is SourceKind.images and source.path.is_dir():
        return sha256_tree((p.relative_to(source.path).as_posix(), p) for p in source.files)
    return sha256_file(source.files[0])


def ingest(
    paths: Sequence[Path],
    archive_root: Path,
    *,
    jobs: int | None = None,
    manifest: Path | None = None,
    lang: str = "vie",
    dpi: int = 300,
    progress: ProgressFn | None = None,
    before_commit: StageHook | None = None,
    after_commit: IssueHook | None = None,
) -> IngestReport:
    """Ingest scans into the archive at ``archive_root``.

    ``before_commit`` runs on a staged issue, to add derived files (a page's analysis);
    ``after_commit`` runs once the issue has landed (e.g. to index it).
    Raises MissingDependency or ArchiveError for problems that stop the whole batch.
    """
    check_language(lang)
    known = read_manifest(manifest) if manifest else {}
    archive = Archive.open(archive_root, create=True)
    report = IngestReport()
    found = discover(list(paths))
    report.outcomes += [Outcome(r.path, Status.failed, message=r.reason) for r in found.rejected]
    with archive.writer_lock():
        pending = _plan(archive, found.sources, dpi, lang, report)
        total = sum(len(p.jobs) for p in pending)
        if progress:
            progress(0, total)
        if pending:
            _run(archive, pending, jobs or os.cpu_count() or 1, known, report, progress, total,
                 before_commit, after_commit)
    return report


def _plan(
    archive: Archive, sources: list[Source], dpi: int, lang: str, report: IngestReport
) -> list[_Pending]:
    pending: list[_Pending] = []
    batch: dict[str, Path] = {}
    for source in sources:
        try:
            digest = source_digest(source)
        except OSError as exc:
            report.outcomes.append(Outcome(source.path, Status.failed, message=f"unreadable ({exc})"))
            continue
        issue_id = digest[:ID_LENGTH]
        if issue_id in batch:
            report.outcomes.append(Outcome(
                source.path, Status.present, issue_id, f"already present (same as {batch[issue_id]})"
            ))
            continue
        if archive.has_issue(issue_id):
            pages = len(archive.load_issue(issue_id).pages)
            report.outcomes.append(Outcome(
                source.path, Status.present, issue_id, "already present (in the archive)", pages
            ))
            continue
        try:
            page_jobs = plan_pages(source, dpi, lang)
        except InputError as exc:
            report.outcomes.append(Outcome(source.path, Status.failed, message=str(exc)))
            continue
        except MissingDependency:
            raise
        except Exception as exc:  # a malformed file can break a parser in any way
            message = f"unreadable ({type(exc).__name__}: {exc})"
            report.outcomes.append(Outcome(source.path, Status.failed, message=message))
            continue
        batch[issue_id] = source.path
        pending.append(_Pending(source, issue_id, digest, page_jobs))
    return pending


def _run(
    archive: Archive,
    pending: list[_Pending],
    workers: int,
    manifest: dict[str, Metadata],
    report: IngestReport,
    progress: ProgressFn | None,
    total: int,
    before_commit: StageHook | None,
    after_commit: IssueHook | None,
) -> None:
    """Process pages in parallel, a few issues at a time (at most ``IN_FLIGHT_PER_WORKER``
    pages per worker queued), landing each issue as its last page comes back."""
    owner: dict[Future[PageResult], _Pending] = {}
    queue = deque(pending)
    waiting: set[Future[PageResult]] = set()
    done_pages = 0
    with ProcessPoolExecutor(max_workers=workers, initializer=init_worker) as pool:
        try:
            while queue or waiting:
                while queue and len(waiting) < workers * IN_FLIGHT_PER_WORKER:
                    issue = queue.popleft()
                    try:
                        issue.jobs = with_text_layer(issue.jobs)
                    except InputError as exc:
                        _fail(issue, report, str(exc))
                        done_pages += len(issue.jobs)
                        continue
                    for job in issue.jobs:
                        future = pool.submit(process_page, job)
                        issue.futures.append(future)
                        owner[future] = issue
                        waiting.add(future)
                if not waiting:
                    continue
                finished, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                for future in finished:
                    issue = owner.pop(future)
                    done_pages += 1
                    if future.cancelled():
                        continue
                    _collect(archive, issue, future, report)
                    if len(issue.pages) == len(issue.jobs):
                        _land(archive, issue, manifest, report, before_commit, after_commit)
                if progress:
                    progress(done_pages, total)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            for issue in pending:
                if issue.staged:
                    issue.staged.discard()
            raise


def _collect(archive: Archive, issue: _Pending, future: Future[PageResult], report: IngestReport) -> None:
    if issue.failed:
        return
    try:
        result = future.result()
    except InputError as exc:
        _fail(issue, report, str(exc))
        return
    except Exception as exc:  # a worker crash must not take the batch down
        _fail(issue, report, f"page processing failed ({type(exc).__name__}: {exc})")
        return
    if issue.staged is None:
        issue.staged = archive.stage(issue.issue_id)
    staged = issue.staged
    staged.write_text(page_name(result.n, ".txt"), result.text)
    staged.write_text(page_name(result.n, ".raw.txt"), result.raw_text)
    staged.write_text(page_name(result.n, ".hocr"), result.hocr)
    staged.write(page_name(result.n, ".jpg"), result.image)
    if result.picture_pdf is not None:
        staged.write(page_name(result.n, PICTURE), result.picture_pdf)
    if result.layer_pdf is not None:
        staged.write(page_name(result.n, LAYER), result.layer_pdf)
    if result.n == 1:
        issue.first_page_text = result.text
    issue.pages[result.n] = PageRecord(
        n=result.n, method=result.method, confidence=result.confidence, words=result.words,
        width=result.width, height=result.height, dpi=result.dpi,
        ocr_engine=result.ocr_engine, ocr_model=issue.jobs[0].lang if result.ocr_engine else None,
    )


def _fail(issue: _Pending, report: IngestReport, message: str) -> None:
    issue.failed = True
    for other in issue.futures:
        other.cancel()
    if issue.staged:
        issue.staged.discard()
        issue.staged = None
    report.outcomes.append(Outcome(issue.source.path, Status.failed, issue.issue_id, message))


def _land(
    archive: Archive,
    issue: _Pending,
    manifest: dict[str, Metadata],
    report: IngestReport,
    before_commit: StageHook | None,
    after_commit: IssueHook | None,
) -> None:
    staged = issue.staged
    assert staged is not None
    try:
        assemble_issue_pdf(issue.source, staged.folder, len(issue.jobs), staged.folder / "issue.pdf")
        staged.copy_source(issue.source.path)
        meta = resolve(issue.source.name, issue.first_page_text, manifest)
        record = IssueRecord(
            id=issue.issue_id, number=meta.number, date=meta.date, title=meta.title,
            source=issue.source.name, source_kind=issue.source.kind.value,
            source_sha256=issue.sha256, provenance=meta.provenance,
            pages=[issue.pages[n] for n in sorted(issue.pages)],
        )
        if before_commit:
            before_commit(staged, record)
        sealed = archive.commit(staged, record)
    except InputError as exc:
        _fail(issue, report, str(exc))
        return
    except Exception as exc:  # e.g. a PDF structure pypdf cannot copy: fail this issue only
        _fail(issue, report, f"could not be written to the archive ({type(exc).__name__}: {exc})")
        return
    issue.staged = None
    low = tuple(p.n for p in sealed.pages if p.confidence is not None and p.confidence < LOW_CONFIDENCE)
    note = ""
    if after_commit:
        try:
            after_commit(archive, sealed)
        except Exception as exc:  # the archive has the issue; the derived index can be rebuilt
            note = f"archived, but not indexed ({type(exc).__name__}: {exc}); run 'bantin reindex'"
    report.outcomes.append(
        Outcome(issue.source.path, Status.added, sealed.id, note, len(sealed.pages), low)
    )

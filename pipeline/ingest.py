"""Ingest: discover -> probe -> (rasterise -> OCR -> clean-up, per page, in parallel)
-> write to the archive, one issue at a time, by this process alone."""

from __future__ import annotations

import errno
import tempfile
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

from archive import VISIBILITIES, Archive, ArchiveError, IssueRecord, PageRecord, StagedIssue
from archive.bag import bag_issues, is_bag
from archive.errors import _
from archive.fsutil import sha256_file, sha256_tree
from archive.store import page_name
from pipeline.assemble import LAYER, PICTURE, assemble_issue_pdf
from pipeline.correct import READING
from pipeline.discover import Source, SourceKind, discover
from pipeline.errors import InputError, MissingDependency
from pipeline.executor import ExecutorFactory, PageExecutor, capacity, default_workers, local_pool
from pipeline.metadata import Metadata, read_manifest, resolve
from pipeline.ocr import OcrEngine, Tesseract
from pipeline.pages import PageOutcome, PageResult, process_pages
from pipeline.probe import PageDerive, PageGroup, PageJob, plan_pages, with_text_layer

ID_LENGTH = 16  # hex digits of the source's sha256: unique for millions of issues
LOW_CONFIDENCE = 60.0  # mean word confidence under which a page is listed to re-check
IN_FLIGHT_PER_WORKER = 8  # pages queued per worker: enough to keep it busy, bounded memory
GROUP_PAGES = 6  # pages read in one Tesseract run at most

ProgressFn = Callable[[int, int], None]  # pages done, pages total
StageHook = Callable[[StagedIssue, IssueRecord], None]  # add derived files before landing
IssueHook = Callable[[Archive, IssueRecord], None]


class Status(StrEnum):
    added = "added"
    present = "present"
    failed = "failed"
    skipped = "skipped"  # a subfolder with nothing to ingest: said, so the archivist knows


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


@dataclass(frozen=True)
class IngestOptions:
    """How pages are read: ``jobs`` workers (default: CPU count), the OCR engine, the
    raster resolution of PDF pages, and a manifest CSV of metadata."""

    jobs: int | None = None
    ocr: OcrEngine = field(default_factory=Tesseract)
    dpi: int = 300
    manifest: Path | None = None
    executor: ExecutorFactory = local_pool
    wait: bool = False  # for another writer of the archive to finish, instead of failing
    correct: bool = True  # put back tone and vowel marks OCR misread (vntext.diacritics)
    visibility: str | None = None  # of the new issues; None: the archive's settings.json default


@dataclass(frozen=True)
class IngestHooks:
    """``before_commit`` runs on a staged issue, to add derived files still missing;
    ``after_commit`` once the issue has landed (e.g. to index it); ``progress`` after each
    page; ``page_derived`` in the worker on each page's clean text, returning derived
    files by suffix (the index's analysis: page work, spread with the OCR). It must be a
    module-level function, to travel to workers. ``after_batch`` runs once at the end,
    whether the batch completed or stopped (e.g. to commit the index)."""

    before_commit: StageHook | None = None
    after_commit: IssueHook | None = None
    progress: ProgressFn | None = None
    page_derived: PageDerive | None = None
    after_batch: Callable[[], None] | None = None


@dataclass
class _Pending:
    """An issue whose pages are being processed; pages land in staging as they finish."""

    source: Source
    issue_id: str
    sha256: str
    jobs: list[PageJob]
    notes: tuple[str, ...] = ()
    staged: StagedIssue | None = None
    pages: dict[int, PageRecord] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # pages that could not be read
    returned: int = 0  # pages back from the workers
    first_page_text: str = ""
    futures: list[Future[Any]] = field(default_factory=list)  # its pages', and their groups'
    failed: bool = False


@dataclass
class _Flight:
    """The pages submitted to the executor and not yet back."""

    pool: PageExecutor
    owner: dict[Future[PageResult], tuple[_Pending, PageJob]] = field(default_factory=dict)

    @property
    def waiting(self) -> set[Future[PageResult]]:
        return set(self.owner)

    def submit(self, issue: _Pending, group: PageGroup) -> None:
        """A group of pages to one worker; each page gets a future of its own, settled when
        the group comes back, so that the rest of the ingest waits on pages."""
        pages: list[Future[PageResult]] = [Future() for _ in group]
        together = self.pool.submit(process_pages, group)
        together.add_done_callback(partial(_settle, pages))
        issue.futures += [together, *pages]
        for page_job, page in zip(group, pages, strict=True):
            self.owner[page] = (issue, page_job)

    def wait(self) -> tuple[list[tuple[_Pending, Future[PageResult]]], list[tuple[_Pending, PageJob]]]:
        """Pages that came back, and pages lost with a dead worker (every page in flight)."""
        done, _ = wait(self.owner, return_when=FIRST_COMPLETED)
        broken = {f for f in done if not f.cancelled() and isinstance(f.exception(), BrokenProcessPool)}
        back = [(self.owner.pop(f)[0], f) for f in done if f not in broken]
        lost = list(self.owner.values()) if broken else []  # the rest die with the pool
        if broken:
            self.owner.clear()
        return back, lost

    def restart(self, pool: PageExecutor) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = pool


def _settle(pages: list[Future[PageResult]], together: Future[list[PageOutcome]]) -> None:
    """Each page's future from its group's: a group cancelled or lost (its worker died)
    is so for every page in it."""
    if together.cancelled():
        for page in pages:
            page.cancel()
        return
    failed = together.exception()
    outcomes: list[PageResult | BaseException] = (
        [failed] * len(pages) if failed is not None else list(together.result()))
    if len(outcomes) != len(pages):  # never left unsettled: the ingest would wait for ever
        outcomes = [RuntimeError(f"{len(outcomes)} outcomes for {len(pages)} pages")] * len(pages)
    for page, outcome in zip(pages, outcomes, strict=True):
        if page.set_running_or_notify_cancel():
            if isinstance(outcome, BaseException):
                page.set_exception(outcome)
            else:
                page.set_result(outcome)


def groups(jobs: Sequence[PageJob], workers: int) -> list[PageGroup]:
    """An issue's pages in groups that share a Tesseract run: as many groups as workers
    (so none waits on another), of at most ``GROUP_PAGES`` pages (a worker that dies
    loses few); born-digital pages, read without OCR, one by one."""
    ocr = [job for job in jobs if job.text_layer is None]
    size = max(1, min(GROUP_PAGES, -(-len(ocr) // max(1, workers))))
    return [tuple(ocr[i:i + size]) for i in range(0, len(ocr), size)] + [
        (job,) for job in jobs if job.text_layer is not None]


# The archive's disk cannot take more: the batch stops (every issue would fail the same
# way); what was landed stays, what was staged is dropped, and a re-run completes.
ARCHIVE_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def _cannot_write(archive: Archive, exc: OSError) -> ArchiveError:
    return ArchiveError(f"{archive.root}: cannot write to the archive ({exc.strerror}); issues "
                        "landed so far are complete, nothing half-written was kept: make room "
                        "and run the same command again")


def _source_files(source: Source) -> list[tuple[str, Path]]:
    """The original's files, by their path inside it ("" for a single file)."""
    if source.path.is_dir():
        return [(p.relative_to(source.path).as_posix(), p) for p in source.files]
    return [("", source.path)]


def source_digest(source: Source) -> str:
    if source.kind is SourceKind.images and source.path.is_dir():
        return sha256_tree((p.relative_to(source.path).as_posix(), p) for p in source.files)
    return sha256_file(source.files[0])


def ingest(
    paths: Sequence[Path],
    archive_root: Path,
    options: IngestOptions | None = None,
    hooks: IngestHooks | None = None,
) -> IngestReport:
    """Ingest scans into the archive at ``archive_root`` and report each input's outcome.
    Raises MissingDependency or ArchiveError for problems that stop the whole batch."""
    options = options or IngestOptions()
    options.ocr.check()
    archive = Archive.open(archive_root, create=True)
    if options.visibility is None:
        options = replace(options, visibility=archive.default_visibility())
    elif options.visibility not in VISIBILITIES:
        raise ArchiveError(_("visibility must be one of {items}, not {visibility!r}")
            .format(items=', '.join(VISIBILITIES), visibility=options.visibility))
    job = IngestJob(
        archive, options, hooks or IngestHooks(),
        read_manifest(options.manifest) if options.manifest else {},
    )
    job.run(paths)
    return job.report


@dataclass
class IngestJob:
    """One batch: the archive it writes, its options, metadata and hooks, and its report."""

    archive: Archive
    options: IngestOptions
    hooks: IngestHooks
    manifest: dict[str, Metadata]
    report: IngestReport = field(default_factory=IngestReport)
    total: int = 0
    done: int = 0
    workdir: Path = Path()

    def run(self, paths: Sequence[Path]) -> None:
        bags = [p for p in paths if is_bag(p)]
        found = discover([p for p in paths if p not in bags], exclude=(self.archive.root,))
        self.report.outcomes += [Outcome(r.path, Status.failed, message=r.reason) for r in found.rejected]
        self.report.outcomes += [Outcome(r.path, Status.skipped, message=r.reason) for r in found.skipped]
        with self.archive.writer_lock("ingest", wait=self.options.wait), \
                tempfile.TemporaryDirectory(prefix="bantin-batch-") as workdir:
            self.workdir = Path(workdir)  # repaired copies of damaged PDFs, for this batch
            for bag in bags:
                self._import_bag(bag)
            pending = self._plan(found.sources)
            self.total = sum(len(p.jobs) for p in pending)
            self._progress()
            try:
                if pending:
                    self._process(pending)
            finally:  # what landed is complete, also when the batch stops
                if self.hooks.after_batch:
                    self.hooks.after_batch()

    def _import_bag(self, bag: Path) -> None:
        """Issues exported with ``bantin export --bagit`` land as they were exported."""
        try:
            folders = bag_issues(bag)
        except ArchiveError as exc:
            self.report.outcomes.append(Outcome(bag, Status.failed, message=str(exc)))
            return
        for folder in folders:
            if self.archive.has_issue(folder.name):
                self.report.outcomes.append(Outcome(folder, Status.present, folder.name,
                                                    "already present (in the archive)"))
                continue
            try:
                record = self.archive.import_issue(folder)
            except ArchiveError as exc:
                self.report.outcomes.append(Outcome(folder, Status.failed, folder.name, str(exc)))
                continue
            note = self._index(record)
            self.report.outcomes.append(Outcome(folder, Status.added, record.id, note, len(record.pages)))

    def _index(self, record: IssueRecord) -> str:
        """The landed issue into the (derived, rebuildable) index; a failure is a note."""
        return _derived_work(self.hooks.after_commit, self.archive, record)

    def _progress(self) -> None:
        if self.hooks.progress:
            self.hooks.progress(self.done, self.total)

    def _outcome(
        self, source: Source, status: Status, issue_id: str | None = None, message: str = "",
        pages: int = 0, low_confidence_pages: tuple[int, ...] = (),
    ) -> None:
        self.report.outcomes.append(
            Outcome(source.path, status, issue_id, message, pages, low_confidence_pages)
        )

    def _plan(self, sources: list[Source]) -> list[_Pending]:
        pending: list[_Pending] = []
        batch: dict[str, Path] = {}
        for source in sources:
            try:
                digest = source_digest(source)
            except OSError as exc:
                self._outcome(source, Status.failed, message=_("unreadable ({error})").format(error=exc))
                continue
            issue_id = digest[:ID_LENGTH]
            if issue_id in batch:
                same = f"already present (same as {batch[issue_id]})"
                self._outcome(source, Status.present, issue_id, same)
                continue
            if self.archive.has_issue(issue_id):
                pages = len(self.archive.load_issue(issue_id).pages)
                self._outcome(source, Status.present, issue_id, _("already present (in the archive)"), pages)
                continue
            try:
                plan = plan_pages(source, self.options.dpi, self.options.ocr, self.workdir)
            except InputError as exc:
                self._outcome(source, Status.failed, message=str(exc))
                continue
            except MissingDependency:
                raise
            except Exception as exc:  # a malformed file can break a parser in any way
                self._outcome(source, Status.failed,
                              message=_("unreadable ({error})").format(error=f"{type(exc).__name__}: {exc}"))
                continue
            batch[issue_id] = source.path
            jobs = [replace(job, correct=self.options.correct, derive=self.hooks.page_derived,
                            trusted=self.archive.trusted_counts)
                    for job in plan.jobs]
            pending.append(_Pending(source, issue_id, digest, jobs, plan.notes))
        return pending

    def _process(self, pending: list[_Pending]) -> None:
        """Process pages in parallel, a few issues at a time (at most ``IN_FLIGHT_PER_WORKER``
        pages per worker queued), landing each issue as its last page comes back.

        A worker process that dies (killed, out of memory) takes every page in flight with
        it: the pool is restarted and those pages are run again one at a time, so a page
        that kills its worker twice is named and the rest of the batch goes on."""
        asked = self.options.jobs or default_workers()
        queue = deque(pending)
        suspects: deque[tuple[_Pending, PageJob]] = deque()  # in flight when a worker died
        retried: set[tuple[str, int]] = set()
        flight = _Flight(self.options.executor(asked))
        workers = capacity(flight.pool, asked)
        try:
            while queue or flight.waiting or suspects:
                if suspects:
                    if not flight.waiting:
                        issue, page_job = suspects.popleft()
                        flight.submit(issue, (page_job,))
                else:
                    while queue and len(flight.waiting) < workers * IN_FLIGHT_PER_WORKER:
                        issue = queue.popleft()
                        try:
                            issue.jobs = with_text_layer(issue.jobs)
                        except InputError as exc:
                            self._fail(issue, str(exc))
                            self.done += len(issue.jobs)
                            continue
                        for group in groups(issue.jobs, workers):
                            flight.submit(issue, group)
                if not flight.waiting:
                    continue
                finished, lost = flight.wait()
                for issue, future in finished:
                    self.done += 1
                    if not future.cancelled():
                        self._collect(issue, future)
                        self._page_back(issue)
                if lost:
                    flight.restart(self.options.executor(asked))
                    for issue, page_job in lost:
                        if (issue.issue_id, page_job.n) not in retried:
                            retried.add((issue.issue_id, page_job.n))
                            suspects.append((issue, page_job))
                            continue
                        self.done += 1
                        issue.returned += 1
                        issue.problems.append(f"page {page_job.n}: the worker reading it died twice "
                                              "(out of memory, or killed)")
                        self._page_back(issue)
                self._progress()
        except BaseException:
            flight.pool.shutdown(wait=False, cancel_futures=True)
            for issue in pending:
                if issue.staged:
                    issue.staged.discard()
            raise
        flight.pool.shutdown()

    def _page_back(self, issue: _Pending) -> None:
        """Once every page of an issue is back: land it, or fail naming every bad page."""
        if issue.returned == len(issue.jobs) and not issue.failed:
            if issue.problems:
                self._fail(issue, "\n".join(issue.problems))
            else:
                self._land(issue)

    def _collect(self, issue: _Pending, future: Future[PageResult]) -> None:
        """Stage a page that came back; a page that could not be read is kept as a problem
        and the other pages still come back, so the report names every broken page."""
        issue.returned += 1
        if issue.failed:
            return
        try:
            result = future.result()
        except InputError as exc:
            issue.problems.append(str(exc))
            return
        except Exception as exc:  # a worker crash must not take the batch down
            issue.problems.append(f"page processing failed ({type(exc).__name__}: {exc})")
            return
        if issue.problems:
            return  # the issue will fail: nothing more to stage
        try:
            self._stage_page(issue, result)
        except OSError as exc:
            if exc.errno in ARCHIVE_FULL:
                raise _cannot_write(self.archive, exc) from None
            raise

    def _stage_page(self, issue: _Pending, result: PageResult) -> None:
        if issue.staged is None:
            issue.staged = self.archive.stage(issue.issue_id)
        staged = issue.staged
        staged.write_text(page_name(result.n, ".txt"), result.text)
        staged.write_text(page_name(result.n, ".raw.txt"), result.raw_text)
        staged.write_text(page_name(result.n, ".hocr"), result.hocr)
        if result.reading is not None:
            staged.write_text(page_name(result.n, READING), result.reading)
        for suffix, content in result.derived.items():
            staged.write_text(page_name(result.n, suffix), content, derived=True)
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
            ocr_engine=result.ocr_engine, ocr_model=result.ocr_model, rotation=result.rotation,
            corrected=result.corrected, ocr_model_sha256=result.ocr_model_sha256, unread=result.unread,
        )

    def _fail(self, issue: _Pending, message: str) -> None:
        issue.failed = True
        for other in issue.futures:
            other.cancel()
        if issue.staged:
            issue.staged.discard()
            issue.staged = None
        self._outcome(issue.source, Status.failed, issue.issue_id, message)

    def _land(self, issue: _Pending) -> None:
        staged = issue.staged
        assert staged is not None
        try:
            turned = {n: page.rotation for n, page in issue.pages.items() if page.rotation}
            assemble_issue_pdf(issue.source.kind, issue.jobs[0].path, staged, len(issue.jobs), turned)
            staged.copy_source(issue.source.name, _source_files(issue.source))
            meta = resolve(issue.source.name, issue.first_page_text, self.manifest)
            record = IssueRecord(
                id=issue.issue_id, number=meta.number, date=meta.date, title=meta.title,
                source=issue.source.name, source_kind=issue.source.kind.value,
                source_sha256=issue.sha256, provenance=meta.provenance,
                pages=[issue.pages[n] for n in sorted(issue.pages)],
                visibility=self.options.visibility or "public",
            )
            note = self._derive(staged, record)
            sealed = self.archive.commit(staged, record)
        except InputError as exc:
            self._fail(issue, str(exc))
            return
        except Exception as exc:  # e.g. a PDF structure qpdf cannot copy: fail this issue only
            if isinstance(exc, OSError) and exc.errno in ARCHIVE_FULL:
                raise _cannot_write(self.archive, exc) from None
            self._fail(issue, f"could not be written to the archive ({type(exc).__name__}: {exc})")
            return
        issue.staged = None
        low = tuple(p.n for p in sealed.pages if p.confidence is not None and p.confidence < LOW_CONFIDENCE)
        note = note or self._index(sealed)
        message = "; ".join((*issue.notes, note) if note else issue.notes)
        self._outcome(issue.source, Status.added, sealed.id, message, len(sealed.pages), low)

    def _derive(self, staged: StagedIssue, record: IssueRecord) -> str:
        """Derived files (the index's analyses) before landing."""
        return _derived_work(self.hooks.before_commit, staged, record)


def _derived_work(hook: Callable[..., None] | None, *args: object) -> str:
    """Run an index hook. Its failure never stops an issue from landing: the index is
    derived and rebuilt from the archive; the report says so."""
    if hook is None:
        return ""
    try:
        hook(*args)
    except Exception as exc:
        return f"archived, but not indexed ({type(exc).__name__}: {exc}); run 'bantin reindex'"
    return ""

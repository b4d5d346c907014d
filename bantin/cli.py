"""The ``bantin`` command: thin click commands over the pipeline, archive and index APIs."""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from archive import FORMAT_VERSION, VISIBILITIES, Archive, ArchiveError, BantinError, ExitCode, IssueNotFound
from archive.bag import export_bag
from archive.checks import pages_to_check
from archive.format import first_day, valid_date
from archive.migrate import migrate
from bantin.accounts import ANONYMOUS, AccountError, Accounts, Role
from bantin.editing import ArticleEdit, correct_lines, edit_articles, edit_issue, recorrect, remove_issue
from bantin.i18n import _, ngettext, setup
from bantin.ingesting import index_hooks
from bantin.present import issue_json
from bantin.state import State
from bantin.usage import Counts, Usage
from index import IngestIndexer, SearchResults, load_articles, open_index, reindex
from index.articles import page_lines
from index.schema import ENGINES
from index.search import SORTS
from index.search import search as run_search
from index.searchlog import SearchEntry, open_search_log
from index.searchlog import report as search_report
from pipeline import IngestOptions, Status, Tesseract, dask_cluster, ingest
from pipeline.executor import local_pool

setup()  # before any help text below, ours or click's, is looked up
F = TypeVar("F", bound=Callable[..., Any])
ROLES = tuple(Role)
DEMO_USER = "luutru"
DEMO_INTERNAL = "so-08-2021"  # the demo's internal sample issue
DEFAULT_ARCHIVE = "./bantin-archive"


def archive_option(func: F) -> F:
    return click.option(
        "--archive", "archive_root", type=click.Path(file_okay=False, path_type=Path),
        envvar="BANTIN_ARCHIVE", default=DEFAULT_ARCHIVE, show_default=True,
        help=_("Archive folder (or $BANTIN_ARCHIVE)."),
    )(func)


def engine_option(func: F) -> F:
    return click.option(
        "--engine", type=click.Choice(ENGINES), default=None,
        help=_("Search engine (default: the archive's setting, else tantivy)."),
    )(func)


def _notify(message: str) -> None:
    log.info(message)


def log_dir_option(func: F) -> F:
    return click.option(
        "--log-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help=_("Search log folder (default: logs/ in the archive folder)."),
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help=_("Print JSON."))(func)


log = logging.getLogger("bantin")


def fail(message: str, code: ExitCode) -> None:
    click.echo(f"bantin: {message}", err=True)
    sys.exit(int(code))


@contextmanager
def handled() -> Iterator[None]:
    """Turn any error into one line and its exit code; a traceback only with -v."""
    try:
        yield
    except (click.exceptions.ClickException, click.exceptions.Abort):
        raise  # click's own: usage errors, a "no" at a confirmation
    except BantinError as exc:
        log.debug("details", exc_info=True)
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        fail(_("interrupted"), ExitCode.ctrl_c)
    except Exception as exc:
        log.debug("traceback", exc_info=True)
        fail(_("unexpected error: {error} (rerun with -v for details)").format(
            error=f"{type(exc).__name__}: {exc}"), ExitCode.other_error)


def issue_number(number: int | None) -> str:
    return f"Số {number}" if number is not None else "Số ?"


def issue_columns(issue_id: str, date: str | None, number: int | None) -> str:
    """An issue's id, date and number as the listing commands print them, aligned."""
    return f"{issue_id}  {date or '????-??':10}  {issue_number(number):8}"


def one_line(path: Path) -> str:
    """A file name as one line of the report: control characters (a newline in a name)
    written as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(path))


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(help=_("bantin: a searchable archive of the bulletin Thông tin sinh hoạt chi bộ."))
@click.version_option(package_name="bantin")
@click.option("-v", "--verbose", count=True, help=_("More detail (-v: tracebacks, -vv: libraries' logs)."))
@click.option("-q", "--quiet", is_flag=True, help=_("Only errors."))
def main(verbose: int, quiet: bool) -> None:
    # bantin's own messages at INFO; other libraries' only from -vv
    logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.WARNING,
                        format="%(name)s: %(message)s", stream=sys.stderr, force=True)
    log.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO)
    logging.captureWarnings(True)  # a library's warning is a log line (-vv), not raw text
    logging.getLogger("py.warnings").setLevel(logging.DEBUG if verbose > 1 else logging.ERROR)
    if verbose < 2:
        # pypdf and img2pdf log repairs and conversions; bantin reports a file in one line
        for library in ("pypdf", "img2pdf"):
            logging.getLogger(library).setLevel(logging.ERROR)


class _Bar:
    """A progress bar on stderr (pages done/total, ETA), created once the total is known."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total == 0:
            return
        if self.bar is None:
            self.bar = click.progressbar(
                length=total, label=_("pages"), show_eta=True, show_pos=True, file=sys.stderr
            )
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@main.command("ingest", help=_("Ingest scans: PDFs, folders of page images, multi-page TIFFs."))
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@archive_option
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help=_("Pages OCR'd at once (default: CPU count)."))
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path),
              help=_("CSV with columns file,number,date,title."))
@click.option("--lang", default="vie", show_default=True, help=_("Tesseract language(s)."))
@click.option("--tessdata-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=_("Folder holding the Tesseract models (default: Tesseract's own)."))
@click.option("--no-correct", is_flag=True, help=_("Keep OCR's words as read: no diacritic correction."))
@click.option("--dpi", type=click.IntRange(72, 600), default=300, show_default=True,
              help=_("Resolution PDF pages are rasterised at for OCR."))
@click.option("--no-index", is_flag=True, help=_("Do not update the search index."))
@click.option("--wait", is_flag=True, help=_("Wait for another writer of the archive to finish."))
@click.option("--scheduler", metavar="tcp://HOST:8786", default=None,
              help=_("Send page work to this Dask cluster (inputs on storage its workers share)."))
@click.option("--stream", is_flag=True,
              help=_("With --scheduler: send page images to the workers (no shared storage)."))
@click.option("--page-timeout", type=click.IntRange(min=1), default=180, show_default=True,
              help=_("Seconds one page may take before it is given up."))
@click.option("--visibility", type=click.Choice(VISIBILITIES), default=None,
              help=_("Who may read the new issues: internal is for signed-in readers only "
                   "(default: settings.json's default_visibility, else public)."))
@engine_option
@json_option
def ingest_command(
    paths: tuple[Path, ...], archive_root: Path, jobs: int | None, manifest: Path | None,
    lang: str, tessdata_dir: Path | None, no_correct: bool, dpi: int, no_index: bool, wait: bool,
    scheduler: str | None, stream: bool, page_timeout: int, visibility: str | None, engine: str | None,
    as_json: bool,
) -> None:
    bar = _Bar(enabled=not as_json and sys.stderr.isatty())
    indexer = None if no_index else IngestIndexer(archive_root, engine, notify=_notify)
    hooks = index_hooks(indexer, progress=bar)
    options = IngestOptions(
        jobs=jobs, ocr=Tesseract(lang, tessdata_dir, page_timeout), dpi=dpi, manifest=manifest, wait=wait,
        correct=not no_correct, executor=dask_cluster(scheduler, stream) if scheduler else local_pool,
        visibility=visibility,
    )
    with handled():
        try:
            report = ingest(list(paths), archive_root, options, hooks)
        finally:
            bar.close()
    if as_json:
        echo_json({
            "archive": str(archive_root),
            "outcomes": [
                {"path": str(o.path), "status": o.status.value, "issue": o.issue_id,
                 "pages": o.pages, "message": o.message,
                 "low_confidence_pages": list(o.low_confidence_pages)}
                for o in report.outcomes
            ],
        })
    else:
        for o in report.outcomes:
            path = one_line(o.path)
            if o.status is Status.failed:
                for line in o.message.splitlines():  # a page folder: each broken page
                    click.echo(_("failed: {path}: {reason}").format(path=path, reason=line), err=True)
            elif o.status is Status.skipped:
                click.echo(_("skipped: {path}: {reason}").format(path=path, reason=o.message), err=True)
            elif o.status is Status.present:
                click.echo(_("present: {path} ({issue})").format(path=path, issue=o.issue_id))
            else:
                note = f"; {o.message}" if o.message else ""
                pages = ngettext("{n} page", "{n} pages", o.pages).format(n=o.pages)
                click.echo(_("added: {path} -> {issue} ({pages}){note}").format(
                    path=path, issue=o.issue_id, pages=pages, note=note))
            if o.low_confidence_pages:
                pages = ", ".join(map(str, o.low_confidence_pages))
                click.echo(_("  re-check: {issue} pages {pages} read badly (low OCR confidence)").format(
                    issue=o.issue_id, pages=pages))
        click.echo(_("{added} added, {present} already present, {failed} failed").format(
            added=len(report.with_status(Status.added)), present=len(report.with_status(Status.present)),
            failed=len(report.with_status(Status.failed))))
    sys.exit(int(ExitCode.ok if report.ok else ExitCode.input_failed))


@main.command("list", help=_("List the archive's issues by date."))
@archive_option
@json_option
def list_command(archive_root: Path, as_json: bool) -> None:
    with handled():
        records = Archive.open(archive_root).issues()
    if as_json:
        echo_json([r.summary() for r in records])
        return
    for r in records:
        click.echo(f"{issue_columns(r.id, r.date, r.number)}  {len(r.pages):3} pages  {r.source}")


@main.command("show", help=_("Show an issue: metadata, table of contents, and its text (an id prefix is "
                             "enough)."))
@click.argument("issue_id")
@archive_option
@click.option("--page", "page_number", type=click.IntRange(min=1), help=_("Only this page."))
@click.option("--article", "article_id", type=click.IntRange(min=1), help=_("Only this article."))
@click.option("--lines", is_flag=True, help=_("With --page: each line's number and what the segmenter "
                                            "made of it (the numbers 'bantin edit --split' takes)."))
@json_option
def show_command(issue_id: str, archive_root: Path, page_number: int | None, article_id: int | None,
                 lines: bool, as_json: bool) -> None:
    with handled():
        archive = Archive.open(archive_root)
        record = archive.load_issue(archive.resolve_id(issue_id))
        pages = [p for p in record.pages if page_number in (None, p.n)]
        if not pages:
            raise IssueNotFound(f"issue {record.id} has no page {page_number}")
        found = load_articles(archive, record)
        article = found.article(article_id) if article_id else None
        if article_id and article is None:
            raise IssueNotFound(f"issue {record.id} has no article {article_id}")
        texts = {p.n: archive.page_text(record.id, p.n) for p in pages}
    if as_json:
        data = issue_json(archive, record, pages, found)
        echo_json(article.to_dict() if article else data)
        return
    click.echo(f"{record.id}  Số {record.number if record.number is not None else '?'}  "
               f"{record.date or 'date unknown'}  {record.title or ''}  ({record.source})")
    if article is not None:
        if article.section:
            click.secho(f"\n{article.section}", bold=True)
        click.secho(f"\n{article.title}", bold=True)
        click.echo(f"(page{'s' if len(article.pages) > 1 else ''} {', '.join(map(str, article.pages))})\n")
        click.echo(article.text)
        if article.byline:
            click.echo(f"\n{article.byline:>60}")
        return
    if page_number is None:
        click.secho("\nContents", bold=True)
        for a in found.articles:
            click.echo(f"{a.id:3}. {a.title}  (page{'s' if len(a.pages) > 1 else ''} "
                       f"{', '.join(map(str, a.pages))})")
    for p in pages:
        confidence = f", confidence {p.confidence:.0f}" if p.confidence is not None else ""
        click.secho(f"\n--- page {p.n} ({p.method}{confidence}) ---", bold=True)
        if lines:
            for line in page_lines(archive, record, p.n):
                click.echo(f"{line.line.index:4} {line.kind:<12} {line.line.text}")
        else:
            click.echo(texts[p.n])


@main.command("verify", help=_("Check the archive: every file against its sha256 (fixity), files that "
                               "should not be there, leftovers of an interrupted ingest, and that the "
                               "index holds every page."))
@archive_option
@click.option("--repair-index", is_flag=True, help=_("Index what is missing, drop what is stale."))
@json_option
def verify_command(archive_root: Path, repair_index: bool, as_json: bool) -> None:
    with handled():
        archive = Archive.open(archive_root)
        problems = archive.check()
        index = open_index(archive_root, notify=_notify)
        check = index.check()
        if repair_index and not check.ok:
            index.repair(check)
            click.echo(f"index repaired: {len(check.missing)} issues indexed, "
                       f"{len(check.stale)} stale issues dropped", err=True)
            check = index.check()
    index_problems = [f"index: issue {i} missing or incomplete (run 'bantin verify --repair-index')"
                      for i in check.missing]
    index_problems += [f"index: issue {i} is not in the archive (stale)" for i in check.stale]
    issues = len(archive.issue_ids())
    if as_json:
        echo_json({"issues": issues, "problems": [{"path": p.path, "problem": p.kind} for p in problems],
                   "index": {"missing": check.missing, "stale": check.stale}})
    else:
        for line in [*map(str, problems), *index_problems]:
            click.echo(line, err=True)
        click.echo(f"{issues} issues checked, {len(problems) + len(index_problems)} problems")
    sys.exit(int(ExitCode.input_failed if problems or not check.ok else ExitCode.ok))


@main.command("edit", help=_("Correct an issue's metadata or its articles; the index follows and "
                             "issue.json keeps the history (article corrections survive a new "
                             "segmentation)."))
@click.argument("issue_id")
@archive_option
@click.option("--number", type=click.IntRange(0, 100_000), help=_("The issue number."))
@click.option("--date", "issue_date", help=_("YYYY, YYYY-MM or YYYY-MM-DD."))
@click.option("--title", help=_("The issue's title, or with --article the article's."))
@click.option("--visibility", type=click.Choice(VISIBILITIES),
              help=_("public, or internal: for signed-in readers only."))
@click.option("--article", "article_id", type=click.IntRange(min=1),
              help=_("Correct this article (its number in 'bantin show'): --title, or --join."))
@click.option("--join", is_flag=True, help=_("With --article: it is part of the article before it."))
@click.option("--split", metavar="PAGE:LINE",
              help=_("An article begins at this line (numbers from 'bantin show ID --page N --lines')."))
@click.option("--note", help=_("Why (kept in the issue's history)."))
def edit_command(
    issue_id: str, archive_root: Path, number: int | None, issue_date: str | None, title: str | None,
    visibility: str | None, article_id: int | None, join: bool, split: str | None, note: str | None,
) -> None:
    if article_id is not None or split is not None:
        _edit_articles(issue_id, archive_root, article_id, title, join, split, note)
        return
    changes: dict[str, Any] = {k: v for k, v in (("number", number), ("date", issue_date),
                                                  ("title", title), ("visibility", visibility))
                               if v is not None}
    if issue_date is not None and not valid_date(issue_date):
        raise click.BadParameter(_("use a real date: YYYY, YYYY-MM or YYYY-MM-DD"), param_hint="--date")
    if not changes:
        raise click.UsageError(_("nothing to change: give --number, --date, --title or --visibility"))
    with handled():
        record = edit_issue(archive_root, issue_id, changes, note, notify=_notify)
    click.echo(_("edited {issue}: {changes}").format(
        issue=record.id, changes=", ".join(f"{k} = {v}" for k, v in changes.items())))


def _edit_articles(issue_id: str, archive_root: Path, article_id: int | None, title: str | None, join: bool,
                   split: str | None, note: str | None) -> None:
    if split is not None:
        page, colon, line = split.partition(":")
        if not (colon and page.isdigit() and line.isdigit()):
            raise click.BadParameter(_("use PAGE:LINE, e.g. 2:14"), param_hint="--split")
    elif not (title or join):
        raise click.UsageError(_("with --article give --title or --join"))
    anchor = (int(split.split(":")[0]), int(split.split(":")[1])) if split is not None else None
    with handled():
        record, after = edit_articles(archive_root, issue_id,
                                      [ArticleEdit(article_id, title, join, anchor)], note, notify=_notify)
    click.echo(ngettext("edited {issue}: {n} article", "edited {issue}: {n} articles",
                        len(after.articles)).format(issue=record.id, n=len(after.articles)))
    for a in after.articles:
        click.echo(f"{a.id:3}. {a.title}  (pages {', '.join(map(str, a.pages))})")


@main.command("correct", help=_("Correct a line OCR misread: the page's text, hOCR and issue.pdf carry the "
                                "new words, the machine reading stays stored (and searchable), the change "
                                "is kept with the page."))
@click.argument("issue_id")
@archive_option
@click.option("--page", "page_number", type=click.IntRange(min=1), required=True, help=_("The page."))
@click.option("--line", "line_number", type=click.IntRange(min=0), required=True,
              help=_("The line's number (from 'bantin show ID --page N --lines')."))
@click.option("--text", required=True, help=_("The line as the page prints it."))
def correct_command(issue_id: str, archive_root: Path, page_number: int, line_number: int, text: str) -> None:
    with handled():
        made = correct_lines(archive_root, issue_id, page_number, {line_number: text}, notify=_notify)
    if not made:
        click.echo(_("no change: the line already reads so"))
    for change in made:
        click.echo(_("page {page} line {line}: {old!r} -> {new!r}").format(
            page=page_number, line=change.line, old=change.old, new=change.new))


@main.command("recorrect", help=_("Run the diacritic correction again over the stored OCR (no OCR), with "
                                  "today's statistics and the archive's trusted text; words people "
                                  "corrected are left alone."))
@archive_option
@click.option("--issue", "issue_ids", multiple=True, help=_("Only these issues (repeatable)."))
@click.option("--dry-run", is_flag=True, help=_("Say what would change; write nothing."))
@json_option
def recorrect_command(archive_root: Path, issue_ids: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    with handled():
        changes = recorrect(archive_root, list(issue_ids) or None, dry_run=dry_run, notify=_notify)
    if as_json:
        echo_json([{"page": c.page, "before": c.before, "after": c.after, "raw": c.raw} for c in changes])
        return
    for change in changes:
        click.echo(_("page {page}: {before} -> {after}  (read {raw})").format(
            page=change.page, before=change.before, after=change.after, raw=change.raw))
    pages = len({c.page for c in changes})
    if dry_run:
        click.echo(ngettext("{n} word would change on {pages} pages",
                            "{n} words would change on {pages} pages", len(changes)).format(
            n=len(changes), pages=pages))
    else:
        click.echo(ngettext("{n} word changed on {pages} pages", "{n} words changed on {pages} pages",
                            len(changes)).format(n=len(changes), pages=pages))


@main.command("remove", help=_("Remove an issue from the archive and the index."))
@click.argument("issue_id")
@archive_option
@click.option("--yes", is_flag=True, help=_("Do not ask for confirmation."))
def remove_command(issue_id: str, archive_root: Path, yes: bool) -> None:
    with handled():
        archive = Archive.open(archive_root)
        record = archive.load_issue(archive.resolve_id(issue_id))
        if not yes:
            click.confirm(f"Remove {record.id} (Số {record.number}, {record.date}, {len(record.pages)} "
                          f"pages, from {record.source}) from {archive_root}?", abort=True)
        remove_issue(archive_root, record.id, notify=_notify)
    click.echo(_("removed {issue}").format(issue=record.id))


@main.command("export", help=_("Export issues as a BagIt bag (sha256 and sha512 manifests), validated "
                               "after writing."))
@archive_option
@click.option("--bagit", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help=_("Folder to write the BagIt bag in (new or empty)."))
@click.option("--issue", "issue_ids", multiple=True, help=_("Only these issues (repeatable)."))
def export_command(archive_root: Path, out: Path, issue_ids: tuple[str, ...]) -> None:
    with handled():
        archive = Archive.open(archive_root)
        count = export_bag(archive, out, [archive.resolve_id(i) for i in issue_ids] or None)
    click.echo(ngettext("exported {n} issue to {out} (BagIt, validated)",
                        "exported {n} issues to {out} (BagIt, validated)", count).format(n=count, out=out))


def _check_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not valid_date(value):
        raise click.BadParameter(_("use YYYY, YYYY-MM or YYYY-MM-DD"))
    return value


@main.command("search", help=_("Full-text search; diacritics optional (\"sinh hoat chi bo\").")
              + "\n\n\b\n" + _("\"quoted phrase\"   words adjacent, in order\n"
                                "a OR b            either word\n"
                                "+word             keep it when no page holds every word\n"
                                "-word             leave out pages with it\n"
                                "year:2019         only that year"))
@click.argument("query")
@archive_option
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--year", type=click.IntRange(1900, 2100), help=_("Only issues of this year."))
@click.option("--from", "date_from", callback=_check_date, help=_("From this date (2019-01)."))
@click.option("--to", "date_to", callback=_check_date, help=_("Up to this date (2020-06)."))
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@engine_option
@log_dir_option
@json_option
def search_command(
    query: str, archive_root: Path, limit: int, year: int | None, date_from: str | None,
    date_to: str | None, sort: str, engine: str | None, log_dir: Path | None, as_json: bool,
) -> None:
    with handled():
        index = open_index(archive_root, engine, notify=_notify)
        results = run_search(index, query, limit=limit, year=year, date_from=date_from,
                             date_to=date_to, sort=sort)
        search_log = open_search_log(index.archive, log_dir)
        if search_log:
            search_log.append(SearchEntry.of(results, "cli"))
    if as_json:
        echo_json(results.to_dict())
    else:
        print_results(results)


def print_results(results: SearchResults) -> None:
    click.echo(count_line(results))
    if results.suggestion:
        click.echo(_("Did you mean: {suggestion}").format(suggestion=results.suggestion))
    for rank, hit in enumerate(results.hits, start=1):
        number = issue_number(hit.number)
        missing = (_("  (holds most words; missing: {words})").format(words=", ".join(hit.missing))
                   if hit.relaxed else _("  (near match)") if hit.near else "")
        title = hit.article.title if hit.article else _("(page outside any article)")
        if hit.article:
            pages = ", ".join(map(str, hit.article.pages))
            where = ngettext("article {id}, page {pages}", "article {id}, pages {pages}",
                             len(hit.article.pages)).format(id=hit.article.id, pages=pages)
        else:
            where = _("page {n}").format(n=hit.page)
        click.secho(f"\n{rank}. {title}", bold=True)
        when = hit.date or _("date unknown")
        click.secho(f"   {number}, {when}, {where}  [{hit.issue}]{missing}", fg="cyan")
        click.echo("   " + highlighted(hit.snippet, hit.highlights))


def count_line(results: SearchResults) -> str:
    """What was found, counted apart: every word, near forms of them, most of them."""
    line = ngettext("{n} article or page holds every word of {query!r}",
                    "{n} articles or pages hold every word of {query!r}",
                    results.total).format(n=results.total, query=results.query)
    if results.near_total:
        line += ngettext("; {n} holds near forms of them", "; {n} hold near forms of them",
                         results.near_total).format(n=results.near_total)
    if results.relaxed_total:
        line += ngettext("; {n} holds most of them", "; {n} hold most of them",
                         results.relaxed_total).format(n=results.relaxed_total)
    return line


def highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], click.style(text[start:end], bold=True, fg="yellow")]
        last = end
    out.append(text[last:])
    return "".join(out)


@main.group("report", help=_("Reports for archivists and editors."))
def report_group() -> None:
    pass  # the group's commands do the work


@report_group.command("searches", help=_("What cadres search for, and what they searched for and did not "
                                         "find."))
@archive_option
@log_dir_option
@click.option("--since", callback=_check_date, help=_("Only searches from this date (2026-01)."))
@json_option
def report_searches_command(
    archive_root: Path, log_dir: Path | None, since: str | None, as_json: bool
) -> None:
    with handled():
        search_log = open_search_log(Archive.open(archive_root), log_dir)
        if search_log is None:
            raise ArchiveError(f"{archive_root}: the search log is turned off in settings.json")
        summary = search_report(search_log.entries(_since(since)))
    if as_json:
        echo_json(summary.to_dict())
        return
    click.echo(ngettext("{n} search", "{n} searches", summary.searches).format(n=summary.searches))
    click.secho(_("\nSearches per week"), bold=True)
    for week, count in summary.per_week.items():
        click.echo(f"  {week}  {count}")
    click.secho(_("\nMost frequent queries"), bold=True)
    for item in summary.frequent:
        click.echo(f"  {item.count:5}  {item.query}")
    click.secho(_("\nFound nothing, or only pages lacking some words (what the bulletin lacks)"), bold=True)
    for item in summary.unmet:
        click.echo(f"  {item.count:5}  {item.query}")


@report_group.command("usage", help=_("Views of issues, articles and pages and searches, per ISO week and "
                                      "per issue (counts only: nobody's trail), for the Party committees."))
@archive_option
@click.option("--since", callback=_check_date, help=_("Only from the week of this date (2026-01)."))
@json_option
@click.option("--csv", "as_csv", is_flag=True, help=_("Print CSV (scope,key,issue,article,page,search)."))
def report_usage_command(archive_root: Path, since: str | None, as_json: bool, as_csv: bool) -> None:
    with handled():
        figures = Usage(State.open(Archive.open(archive_root).root)).report(_since(since))
    if as_json:
        echo_json(figures.to_dict())
        return
    if as_csv:
        click.echo(figures.to_csv(), nl=False)
        return
    head = f"{'':10} {'issues':>7} {'articles':>8} {'pages':>7} {'searches':>8}"
    click.echo(head)

    def row(label: str, c: Counts) -> None:
        click.echo(f"{label:10} {c.issue:7} {c.article:8} {c.page:7} {c.search:8}")

    row("total", figures.total)
    for week in figures.weeks:
        row(week.week, week)
    if figures.issues:
        click.secho(_("\nViews per issue"), bold=True)
        for item in figures.issues:
            row(item.id[:10], item)


@report_group.command("pages", help=_("Pages to check or re-scan, worst first, with the reason."))
@archive_option
@click.option("--below", type=click.FloatRange(0, 100), default=80.0, show_default=True,
              help=_("List OCR'd pages whose mean word confidence is under this."))
@json_option
def report_pages_command(archive_root: Path, below: float, as_json: bool) -> None:
    with handled():
        checks = pages_to_check(Archive.open(archive_root), below)
    if as_json:
        echo_json([c.to_dict() for c in checks])
        return
    for c in checks:
        click.echo(f"{issue_columns(c.issue, c.date, c.number)}  page {c.page:3}  {c.reason}")
    click.echo(ngettext("{n} page to check", "{n} pages to check", len(checks)).format(n=len(checks)))


def _since(value: str | None) -> date | None:
    return first_day(value) if value else None  # checked by _check_date


@main.command("watch", help=_("Ingest what scanners drop into FOLDER once it stops growing; move it to "
                              "FOLDER/done/, or to FOLDER/failed/ with a NAME.reason.txt saying why."))
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@archive_option
@click.option("--settle", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help=_("Seconds a file must stop growing before it is ingested."))
@click.option("--interval", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
              help=_("Seconds between looks at the folder."))
@click.option("--visibility", type=click.Choice(VISIBILITIES), default=None,
              help=_("Of the new issues (default: settings.json's default_visibility, else public)."))
@click.option("--once", is_flag=True, help=_("Ingest what has arrived, then stop (for cron)."))
def watch_command(folder: Path, archive_root: Path, settle: float, interval: float, visibility: str | None,
                  once: bool) -> None:
    from bantin.watch import WatchFolder

    with handled():
        watcher = WatchFolder(folder, archive_root, settle, IngestOptions(wait=True, visibility=visibility))
        if not once:
            click.echo(_("watching {folder} for scans (Ctrl-C stops)").format(folder=folder))
        watcher.run(interval, once, report=click.echo)


@main.command("migrate", help=_("Upgrade an archive made by an older bantin to this one's format, in place "
                                "(only issue.json files change; the checksummed files are not touched)."))
@archive_option
def migrate_command(archive_root: Path) -> None:
    with handled():
        rewritten = migrate(archive_root)
    click.echo(f"{archive_root}: archive format version {FORMAT_VERSION}"
               + (f" ({rewritten} issues upgraded)" if rewritten else " (already)"))


@main.command("reindex", help=_("Rebuild the search index from the archive files alone."))
@archive_option
@engine_option
@click.option("--resegment", is_flag=True,
              help=_("Divide every issue into articles again from its stored hOCR (otherwise only "
                   "issues segmented by an older segmenter are)."))
def reindex_command(archive_root: Path, engine: str | None, resegment: bool) -> None:
    started = time.perf_counter()
    with handled():
        docs = reindex(archive_root, engine, notify=_notify, resegment=resegment)
        pages = sum(len(record.pages) for record in Archive.open(archive_root).issues())
    seconds = time.perf_counter() - started
    click.echo(f"indexed {pages} pages as {docs} documents (articles, and text outside them) "
               f"in {seconds:.1f} s")


@main.command("serve", help=_("Serve the archive to browsers: search, read, sign in; usage figures for "
                              "archivists."))
@archive_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help=_("Address to listen on (0.0.0.0: every interface; put nginx in front)."))
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help=_("Server processes."))
@click.option("--language", type=click.Choice(("vi", "en")), default="vi", show_default=True,
              help=_("Language of the web pages' labels."))
@click.option("--anonymous", type=click.Choice(ANONYMOUS), default="public", show_default=True,
              help=_("What visitors who are not signed in see: public issues, or nothing."))
@log_dir_option
def serve_command(archive_root: Path, host: str, port: int, workers: int, language: str, anonymous: str,
                  log_dir: Path | None) -> None:
    import uvicorn

    from bantin.web.reader import ArchiveReader

    with handled():
        ArchiveReader.open(archive_root)  # fail here, in one line, if it is not an archive
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"bantin: serving {archive_root} at http://{shown}:{port}/ (Ctrl-C stops)")
    os.environ["BANTIN_ARCHIVE"] = str(archive_root.resolve())  # read by each worker process
    os.environ["BANTIN_ANONYMOUS"] = anonymous
    os.environ["BANTIN_LANGUAGE"] = language
    if log_dir is not None:
        os.environ["BANTIN_LOG_DIR"] = str(log_dir.resolve())
    uvicorn.run("bantin.web.app:create_app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning", access_log=False)


@main.group("user", help=_("Accounts for the web server: readers, archivists, admins."))
def user_group() -> None:
    pass  # the group's commands do the work


def _accounts(archive_root: Path) -> Accounts:
    return Accounts.of(State.open(Archive.open(archive_root).root))


def _password(prompt: str) -> str:
    """Asked twice on a terminal; otherwise the first line of standard input."""
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@user_group.command("add", help=_("Create an account (the password is asked for, or read from standard "
                                  "input)."))
@click.argument("name")
@archive_option
@click.option("--role", type=click.Choice(ROLES), default="reader", show_default=True)
def user_add_command(name: str, archive_root: Path, role: str) -> None:
    with handled():
        accounts = _accounts(archive_root)
        user = accounts.add(name, role, _password(f"Password for {name}"))
    click.echo(_("added {name} ({role})").format(name=user.name, role=user.role))


@user_group.command("list", help=_("Every account with its role and API tokens."))
@archive_option
@json_option
def user_list_command(archive_root: Path, as_json: bool) -> None:
    with handled():
        accounts = _accounts(archive_root).accounts()
    if as_json:
        echo_json([{"name": a.name, "role": str(a.role), "created": a.created, "tokens": a.tokens}
                   for a in accounts])
        return
    for a in accounts:
        click.echo(f"{a.name:20} {a.role:10} since {a.created[:10]}  {a.tokens} API tokens")


@user_group.command("passwd", help=_("Set a new password (the account's browser sessions end)."))
@click.argument("name")
@archive_option
def user_passwd_command(name: str, archive_root: Path) -> None:
    with handled():
        accounts = _accounts(archive_root)
        accounts.user(name)
        accounts.set_password(name, _password(f"New password for {name}"))
    click.echo(_("password of {name} changed; its sessions ended").format(name=name))


@user_group.command("role", help=_("Change an account's role (it counts from the account's next request)."))
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@archive_option
def user_role_command(name: str, role: str, archive_root: Path) -> None:
    with handled():
        _accounts(archive_root).set_role(name, role)
    click.echo(_("{name} is now {role}").format(name=name, role=role))


@user_group.command("remove", help=_("Delete an account with its sessions and API tokens."))
@click.argument("name")
@archive_option
def user_remove_command(name: str, archive_root: Path) -> None:
    with handled():
        _accounts(archive_root).remove(name)
    click.echo(_("removed {name}").format(name=name))


@user_group.command("token", help=_("Print a new API token for NAME, once (only its hash is kept); or list "
                                    "or revoke tokens."))
@click.argument("name")
@archive_option
@click.option("--label", default="", help=_("What the token is for (shown in --list)."))
@click.option("--list", "listing", is_flag=True, help=_("List the account's tokens instead."))
@click.option("--revoke", type=int, metavar="ID", help=_("Revoke this token (its ID from --list)."))
def user_token_command(name: str, archive_root: Path, label: str, listing: bool, revoke: int | None) -> None:
    with handled():
        accounts = _accounts(archive_root)
        if listing:
            for token in accounts.tokens(name):
                click.echo(f"{token.id:5}  {token.created}  {token.label}")
            return
        if revoke is not None:
            if revoke not in {t.id for t in accounts.tokens(name)}:
                raise AccountError(f"{name} has no token {revoke}")
            accounts.revoke_token(revoke)
            click.echo(_("revoked token {id} of {name}").format(id=revoke, name=name))
            return
        token, secret = accounts.new_token(name, label)
    click.echo(secret)
    click.echo(f"token {token.id} for {name}: send it as 'Authorization: Bearer TOKEN'; it is not shown "
               "again", err=True)


@main.command("demo", help=_("Render sample bulletin scans, ingest them, and run a few searches."))
@archive_option
@click.option("--scans", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=_("Where to render the sample scans (default: beside the archive)."))
def demo_command(archive_root: Path, scans: Path | None) -> None:
    from bantin.samples import write_demo_scans

    folder = scans or archive_root.parent / "demo-scans"
    click.echo(_("rendering sample scans into {folder}").format(folder=folder))
    paths = write_demo_scans(folder)
    indexer = IngestIndexer(archive_root, notify=_notify)
    with handled():
        report = ingest(paths, archive_root, hooks=index_hooks(indexer))
    for o in report.outcomes:
        detail = f": {o.message}" if o.message else ""
        click.echo(f"{o.status.value}: {o.path.name} ({o.issue_id}){detail}")
    with handled():
        # one sample issue is internal: anonymous visitors of the web server do not see it
        internal = next((o.issue_id for o in report.outcomes if o.issue_id and DEMO_INTERNAL in o.path.name),
                        None)
        if internal:
            edit_issue(archive_root, internal, {"visibility": "internal"}, "demo: an internal issue")
            click.echo(_("{issue}: internal (signed-in readers only)").format(issue=internal))
        index = open_index(archive_root)
        for query in ("sinh hoat chi bo", "nong thon moi", "luu tru ho so dang vien", "khuyen hoc"):
            click.secho(f"\n$ bantin search {query!r}", bold=True)
            print_results(run_search(index, query, limit=3))
        password = secrets.token_urlsafe(9)
        accounts = _accounts(archive_root)
        if DEMO_USER in {a.name for a in accounts.accounts()}:
            accounts.set_password(DEMO_USER, password)
        else:
            accounts.add(DEMO_USER, "archivist", password)
    click.secho(f"\nTo search it in a browser: bantin serve --archive {archive_root}, "
                "then open http://127.0.0.1:8000/", bold=True)
    click.echo(f"Sign in at http://127.0.0.1:8000/login as {DEMO_USER} (archivist), password {password}, "
               "to read the internal issue and see the usage figures.")
    sys.exit(int(ExitCode.ok if report.ok else ExitCode.input_failed))

"""``bantin serve``: a fast web application over the archive, for cadres, archivists and
the committees that follow its use.

Thin, like the CLI: every view calls the library API (``index.search``, the archive)
through one shared ``ArchiveReader``, for the ``Viewer`` that ``auth.Gate`` found. HTML
pages work with JavaScript off; the JSON API returns what the CLI's ``--json`` prints.
The app grows by area, one module each: reading (here), articles, auth, usage.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive import BantinError, IssueNotFound, IssueRecord
from archive.corrections import corrections
from archive.errors import _
from archive.hocr import WordBox, word_boxes
from archive.store import page_name
from bantin.accounts import ANONYMOUS, AccountError, Accounts, Viewer
from bantin.i18n import translations
from bantin.jobs import JobQueue, JobWorker
from bantin.present import citation, date_label, issue_json, number_label
from bantin.state import State
from bantin.usage import Usage
from bantin.web import admin as admin_routes
from bantin.web import articles as article_routes
from bantin.web import auth as auth_routes
from bantin.web import review as review_routes
from bantin.web import usage as usage_routes
from bantin.web import workbench as workbench_routes
from bantin.web.auth import (
    BadToken,
    Gate,
    NotSignedIn,
    WebError,
    login_redirect,
    require_archivist,
    viewer,
    with_csrf_cookie,
)
from bantin.web.files import archive_file, cached_bytes
from bantin.web.reader import ArchiveReader
from bantin.web.usage import since_date
from index import QueryError, SearchResults, load_articles, search
from index.searchlog import SearchEntry, SearchLog, SearchReport, open_search_log, report
from index.snippets import Marks, highlight_spans

HERE = Path(__file__).parent
PER_PAGE = 10
ZOOMS = (1, 2, 3)
DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def create_app(archive_root: Path, log_dir: Path | None = None, anonymous: str = "public",
               language: str = "vi") -> FastAPI:
    """The application; ``log_dir`` holds the search log (default: the archive's logs/);
    ``anonymous``: what visitors who are not signed in see ("public" issues, or "none");
    ``language``: of the pages' labels, from the catalogs the CLI speaks from
    (``bantin.i18n``; Vietnamese unless told). It writes the search log and the state
    database, and the archive only for what archivists do."""
    if anonymous not in ANONYMOUS:
        raise ValueError(f"anonymous must be one of {', '.join(ANONYMOUS)}")
    reader = ArchiveReader.open(archive_root)
    search_log = open_search_log(reader.archive, log_dir)
    state = State.open(reader.archive.root)
    gate = Gate(Accounts.of(state), anonymous_public=anonymous == "public")
    usage = Usage(state)
    jobs = JobQueue(state, reader.archive.root)
    worker = JobWorker(jobs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker.start()  # uploads queued before a restart are picked up again
        yield
        worker.stop()

    def logged(results: SearchResults, interface: str) -> SearchResults:
        if search_log is not None:
            search_log.append(SearchEntry.of(results, interface))
        usage.count("search")
        return results

    app = FastAPI(title="bantin", summary="Tìm kiếm bản tin Thông tin sinh hoạt chi bộ",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  dependencies=[Depends(gate.resolve)], lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.add_extension("jinja2.ext.i18n")
    templates.env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    templates.env.globals.update(number_label=number_label, date_label=date_label, language=language)

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(BantinError)
    def bantin_error(request: Request, exc: BantinError) -> Response:
        api = request.url.path.startswith("/api/")
        if isinstance(exc, NotSignedIn | BadToken):
            if api or isinstance(exc, BadToken):
                return JSONResponse({"error": str(exc)}, status_code=401,
                                    headers={"WWW-Authenticate": "Bearer"})
            return login_redirect(request)
        status = (404 if isinstance(exc, IssueNotFound) else 400 if isinstance(exc, QueryError | AccountError)
                  else exc.http_status if isinstance(exc, WebError) else 503)
        if api:
            return JSONResponse({"error": str(exc)}, status_code=status)
        return page(request, "error.html", status, message=str(exc), code=status)

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        response = templates.TemplateResponse(request, name, context, status_code=status)
        return with_csrf_cookie(request, response)  # type: ignore[return-value]

    # -- HTML --------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        issues = reader.issues(viewer(request))
        years: dict[str, list[IssueRecord]] = {}
        for record in sorted(issues, key=lambda r: r.date or "", reverse=True):
            years.setdefault(record.date[:4] if record.date else "Không rõ năm", []).append(record)
        latest = max(issues, key=lambda r: (r.date or "", r.ingested_at), default=None)
        return page(request, "home.html", years=years, issues=len(issues),
                    pages=sum(len(r.pages) for r in issues), latest=latest,
                    contents=reader.articles(latest).articles if latest else [])

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(
        request: Request, q: str = "", year: str = "", date_from: str = Query("", alias="from"),
        date_to: str = Query("", alias="to"), sort: str = "relevance", p: int = 1,
    ) -> HTMLResponse:
        form = {"q": q, "year": year, "from": date_from, "to": date_to, "sort": sort}
        if not q.strip():
            return page(request, "search.html", form=form, results=None, error=None)
        p = max(1, min(p, 1000 // PER_PAGE))
        who = viewer(request)
        try:
            results = logged(_search(reader, who, q, PER_PAGE, (p - 1) * PER_PAGE, year, date_from, date_to,
                                     sort), "web")
        except QueryError as exc:
            return page(request, "search.html", 400, form=form, results=None, error=str(exc))
        issues = {r.id: r for r in reader.issues(who)}
        hits = [{"hit": h, "record": issues.get(h.issue), "snippet": marked(h.snippet, h.highlights),
                 "note": h.relaxed and not any(not g.relaxed for g in results.hits[k:])
                 and (k == 0 or not results.hits[k - 1].relaxed)}
                for k, h in enumerate(results.hits)]
        found = results.total + results.near_total + results.relaxed_total
        pages = min(-(-found // PER_PAGE), 1000 // PER_PAGE)
        return page(request, "search.html", form=form, results=results, hits=hits, p=p, pages=pages,
                    error=None)

    @app.get("/issues/{issue_id}", response_class=HTMLResponse, include_in_schema=False)
    def issue_page(request: Request, issue_id: str, q: str = "") -> HTMLResponse:
        record = reader.issue(issue_id, viewer(request))
        usage.count("issue", record.id)
        results, error = None, None
        if q.strip():
            try:
                results = search(reader.index(), q, limit=100, issue=record.id,
                                 hidden=reader.hidden(viewer(request)))
            except QueryError as exc:
                error = str(exc)
        found = results.hits if results else []
        hits = [{"hit": h, "snippet": marked(h.snippet, h.highlights)} for h in found]
        return page(request, "issue.html", record=record, q=q, results=results, hits=hits, error=error,
                    contents=reader.articles(record).articles)

    @app.get("/issues/{issue_id}/pages/{n:int}", response_class=HTMLResponse, include_in_schema=False)
    def page_view(request: Request, issue_id: str, n: int, q: str = "", zoom: int = 1) -> HTMLResponse:
        record = reader.issue(issue_id, viewer(request))
        info = reader.page(record, n)
        usage.count("page", record.id)
        text = reader.archive.page_text(record.id, n)
        hit_pages: list[int] = []
        marks: Marks = ()
        if q.strip():
            try:
                results = search(reader.index(), q, limit=1000, issue=record.id, sort="relevance",
                                 hidden=reader.hidden(viewer(request)))
                hit_pages, marks = sorted(h.page for h in results.hits), results.marks
            except QueryError:
                pass
        boxes = _boxes(reader, record, n, marks) if marks else []
        link = str(request.url_for("page_view", issue_id=record.id, n=n))
        return page(
            request, "page.html", record=record, info=info, q=q, boxes=boxes,
            text=marked(text, highlight_spans(text, marks)), zoom=zoom if zoom in ZOOMS else 1,
            citation=citation(record, n), link=link,
            corrected_lines=len({c.line for c in corrections(reader.archive, record.id, n)}),
            previous_hit=max((h for h in hit_pages if h < n), default=None),
            next_hit=min((h for h in hit_pages if h > n), default=None),
            hits_here=n in hit_pages,
        )

    # -- archive files -------------------------------------------------------------------------

    @app.get("/issues/{issue_id}/issue.pdf", include_in_schema=False)
    def issue_pdf(request: Request, issue_id: str) -> Response:
        record = reader.issue(issue_id, viewer(request))
        name = f"ban-tin-{record.date or record.id}-{number_label(record.number)}.pdf".replace(" ", "-")
        return archive_file(request, record, reader.served_file(record, "issue.pdf", "application/pdf"), name)

    @app.get("/issues/{issue_id}/pages/{n:int}.jpg", include_in_schema=False)
    def page_image(request: Request, issue_id: str, n: int) -> Response:
        record = reader.issue(issue_id, viewer(request))
        return archive_file(request, record, reader.page_image(record, n))

    @app.get("/issues/{issue_id}/pages/{n:int}.txt", include_in_schema=False)
    def page_text(request: Request, issue_id: str, n: int) -> Response:
        record = reader.issue(issue_id, viewer(request))
        reader.page(record, n)
        return archive_file(request, record, reader.served_file(record, page_name(n, ".txt"),
                                                         "text/plain; charset=utf-8"))

    @app.get("/issues/{issue_id}/pages/{n:int}/thumb.jpg", include_in_schema=False)
    def thumbnail(request: Request, issue_id: str, n: int) -> Response:
        record = reader.issue(issue_id, viewer(request))
        data, etag = reader.thumbnail(record, n)
        return cached_bytes(request, record, data, f'"{etag[:32]}-t"')

    # -- JSON API ----------------------------------------------------------------------------

    @app.get("/api/search", summary="Full-text search (the JSON of `bantin search --json`)")
    def api_search(
        request: Request, q: str, limit: int = Query(10, ge=1, le=1000), offset: int = Query(0, ge=0),
        year: str = "", date_from: str = Query("", alias="from"), date_to: str = Query("", alias="to"),
        sort: str = "relevance",
    ) -> JSONResponse:
        # JSONResponse directly: the dict is already plain JSON, no model validation needed
        results = _search(reader, viewer(request), q, limit, offset, year, date_from, date_to, sort)
        return JSONResponse(logged(results, "api").to_dict())

    @app.get("/api/issues", summary="Every issue, by date (the JSON of `bantin list --json`)")
    def api_issues(request: Request) -> list[dict[str, Any]]:
        return [r.summary() for r in reader.issues(viewer(request))]

    @app.get("/api/issues/{issue_id}", summary="One issue with its pages' text (`bantin show --json`)")
    def api_issue(request: Request, issue_id: str) -> dict[str, Any]:
        record = reader.issue(issue_id, viewer(request))
        return issue_json(reader.archive, record, record.pages, load_articles(reader.archive, record))

    @app.get("/api/issues/{issue_id}/pages/{n:int}/words",
             summary="Word boxes to outline for a query, in the pixels of the page's raster")
    def api_words(request: Request, issue_id: str, n: int, q: str) -> dict[str, Any]:
        record = reader.issue(issue_id, viewer(request))
        info = reader.page(record, n)
        marks = search(reader.index(), q, limit=1000, issue=record.id,
                       hidden=reader.hidden(viewer(request))).marks
        return {"width": info.width, "height": info.height,
                "words": [box._asdict() for box in _boxes(reader, record, n, marks)]}

    @app.get("/api/report/searches", summary="Searches per week, frequent and unmet queries "
             "(the JSON of `bantin report searches --json`)")
    def api_report(request: Request, since: str = "") -> dict[str, object]:
        require_archivist(request)
        return _report(search_log, since).to_dict()

    article_routes.add_routes(app, reader, page, marked, usage)
    auth_routes.add_routes(app, gate, page)
    admin_routes.add_routes(app, gate.accounts, page)
    usage_routes.add_routes(app, reader, usage, page, lambda since: _report(search_log, since))
    workbench_routes.add_routes(app, reader, jobs, worker, page)
    review_routes.add_routes(app, reader, page)

    @app.get("/report/searches", response_class=HTMLResponse, include_in_schema=False)
    def report_page(request: Request, since: str = "") -> HTMLResponse:
        require_archivist(request)
        return page(request, "report.html", report=_report(search_log, since), since=since,
                    enabled=search_log is not None)

    @app.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        return page(request, "docs.html")

    return app


class SecurityHeaders:
    """Every response carries the Content-Security-Policy (scripts and styles from this
    server only) and friends. Plain ASGI: cheaper per request than an HTTP middleware."""

    HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
               (b"referrer-policy", b"no-referrer")]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app_from_env() -> FastAPI:
    """For uvicorn's worker processes (``--workers N``): the archive from $BANTIN_ARCHIVE,
    the search log's folder from $BANTIN_LOG_DIR, what anonymous visitors see from
    $BANTIN_ANONYMOUS."""
    log_dir = os.environ.get("BANTIN_LOG_DIR")
    return create_app(Path(os.environ["BANTIN_ARCHIVE"]), Path(log_dir) if log_dir else None,
                      os.environ.get("BANTIN_ANONYMOUS", "public"), os.environ.get("BANTIN_LANGUAGE", "vi"))


def _report(search_log: SearchLog | None, since: str) -> SearchReport:
    first = since_date(since)  # a QueryError for what is not a date
    if search_log is None:
        return SearchReport(0, {})
    return report(search_log.entries(first))


def _search(
    reader: ArchiveReader, who: Viewer, q: str, limit: int, offset: int, year: str, date_from: str,
    date_to: str, sort: str,
) -> SearchResults:
    if year and not re.fullmatch(r"(19|20)\d{2}", year):
        raise QueryError(_("{year} is not a year").format(year=year))
    for value in (date_from, date_to):
        if value and not DATE.fullmatch(value):
            raise QueryError(_("{value} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)").format(value=value))
    return search(reader.index(), q, limit=limit, offset=offset, year=int(year) if year else None,
                  date_from=date_from or None, date_to=date_to or None, sort=sort, hidden=reader.hidden(who))


def _boxes(reader: ArchiveReader, record: IssueRecord, n: int, marks: Marks) -> list[WordBox]:
    """The page's words that belong to a query word standing whole (marked as in the text:
    the boxes are read in order as one text)."""
    hocr = reader.archive.page_file(record.id, n, ".hocr").read_text(encoding="utf-8")
    boxes = word_boxes(hocr)
    starts, at = [], 0
    for box in boxes:
        starts.append(at)
        at += len(box.text) + 1
    spans = highlight_spans(" ".join(box.text for box in boxes), marks)
    return [box for box, start in zip(boxes, starts, strict=True)
            if any(s < start + len(box.text) and e > start for s, e in spans)]


def marked(text: str, spans: list[tuple[int, int]]) -> Markup:
    """Untrusted OCR text, escaped, with the given spans in <mark>."""
    out, last = [], 0
    for start, end in spans:
        out += [escape(text[last:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)

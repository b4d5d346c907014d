"""``bantin serve``: a fast, read-only web application over the archive, for cadres.

Thin, like the CLI: every view calls the library API (``index.search``, the archive)
through one shared ``ArchiveReader``. HTML pages work with JavaScript off; the JSON API
returns what the CLI's ``--json`` prints.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive import BantinError, IssueNotFound, IssueRecord
from archive.hocr import word_boxes
from archive.store import page_name
from bantin.present import citation, date_label, issue_json, number_label
from bantin.web import articles as article_routes
from bantin.web.reader import ArchiveReader, ServedFile
from index import QueryError, SearchResults, load_articles, search
from index.search import SORTS
from index.searchlog import SearchEntry, SearchLog, SearchReport, open_search_log, report
from index.snippets import Marks, highlight_spans

HERE = Path(__file__).parent
PER_PAGE = 10
ZOOMS = (1, 2, 3)
DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
CACHE = "public, max-age=86400"  # archived files never change under their sha256


def create_app(archive_root: Path, log_dir: Path | None = None) -> FastAPI:
    """The application; ``log_dir`` holds the search log (default: the archive's logs/),
    the only thing it writes."""
    reader = ArchiveReader.open(archive_root)
    search_log = open_search_log(reader.archive, log_dir)

    def logged(results: SearchResults, interface: str) -> SearchResults:
        if search_log is not None:
            search_log.append(SearchEntry.of(results, interface))
        return results

    app = FastAPI(title="bantin", summary="Tìm kiếm bản tin Thông tin sinh hoạt chi bộ",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(number_label=number_label, date_label=date_label)

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(BantinError)
    def bantin_error(request: Request, exc: BantinError) -> Response:
        status = 404 if isinstance(exc, IssueNotFound) else 400 if isinstance(exc, QueryError) else 503
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=status)
        return templates.TemplateResponse(request, "error.html", {"message": str(exc)}, status_code=status)

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status)

    # -- HTML --------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        issues = reader.issues()
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
        try:
            results = logged(_search(reader, q, PER_PAGE, (p - 1) * PER_PAGE, year, date_from, date_to, sort),
                             "web")
        except QueryError as exc:
            return page(request, "search.html", 400, form=form, results=None, error=str(exc))
        issues = {r.id: r for r in reader.issues()}
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
        record = reader.issue(issue_id)
        results, error = None, None
        if q.strip():
            try:
                results = search(reader.index(), q, limit=100, issue=record.id)
            except QueryError as exc:
                error = str(exc)
        found = results.hits if results else []
        hits = [{"hit": h, "snippet": marked(h.snippet, h.highlights)} for h in found]
        return page(request, "issue.html", record=record, q=q, results=results, hits=hits, error=error,
                    contents=reader.articles(record).articles)

    @app.get("/issues/{issue_id}/pages/{n:int}", response_class=HTMLResponse, include_in_schema=False)
    def page_view(request: Request, issue_id: str, n: int, q: str = "", zoom: int = 1) -> HTMLResponse:
        record = reader.issue(issue_id)
        info = reader.page(record, n)
        text = reader.archive.page_text(record.id, n)
        hit_pages: list[int] = []
        marks: Marks = ()
        if q.strip():
            try:
                results = search(reader.index(), q, limit=1000, issue=record.id, sort="relevance")
                hit_pages, marks = sorted(h.page for h in results.hits), results.marks
            except QueryError:
                pass
        boxes = _boxes(reader, record, n, marks) if marks else []
        link = str(request.url_for("page_view", issue_id=record.id, n=n))
        return page(
            request, "page.html", record=record, info=info, q=q, boxes=boxes,
            text=marked(text, highlight_spans(text, marks)), zoom=zoom if zoom in ZOOMS else 1,
            citation=citation(record, n), link=link,
            previous_hit=max((h for h in hit_pages if h < n), default=None),
            next_hit=min((h for h in hit_pages if h > n), default=None),
            hits_here=n in hit_pages,
        )

    # -- archive files -------------------------------------------------------------------------

    @app.get("/issues/{issue_id}/issue.pdf", include_in_schema=False)
    def issue_pdf(request: Request, issue_id: str) -> Response:
        record = reader.issue(issue_id)
        name = f"ban-tin-{record.date or record.id}-{number_label(record.number)}.pdf".replace(" ", "-")
        return _file(request, reader.served_file(record, "issue.pdf", "application/pdf"), name)

    @app.get("/issues/{issue_id}/pages/{n:int}.jpg", include_in_schema=False)
    def page_image(request: Request, issue_id: str, n: int) -> Response:
        return _file(request, reader.page_image(reader.issue(issue_id), n))

    @app.get("/issues/{issue_id}/pages/{n:int}.txt", include_in_schema=False)
    def page_text(request: Request, issue_id: str, n: int) -> Response:
        record = reader.issue(issue_id)
        reader.page(record, n)
        return _file(request, reader.served_file(record, page_name(n, ".txt"), "text/plain; charset=utf-8"))

    @app.get("/issues/{issue_id}/pages/{n:int}/thumb.jpg", include_in_schema=False)
    def thumbnail(request: Request, issue_id: str, n: int) -> Response:
        data, etag = reader.thumbnail(reader.issue(issue_id), n)
        etag = f'"{etag[:32]}-t"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE})
        return Response(data, media_type="image/jpeg", headers={"ETag": etag, "Cache-Control": CACHE})

    # -- JSON API ----------------------------------------------------------------------------

    @app.get("/api/search", summary="Full-text search (the JSON of `bantin search --json`)")
    def api_search(
        q: str, limit: int = Query(10, ge=1, le=1000), offset: int = Query(0, ge=0),
        year: str = "", date_from: str = Query("", alias="from"), date_to: str = Query("", alias="to"),
        sort: str = "relevance",
    ) -> JSONResponse:
        # JSONResponse directly: the dict is already plain JSON, no model validation needed
        results = _search(reader, q, limit, offset, year, date_from, date_to, sort)
        return JSONResponse(logged(results, "api").to_dict())

    @app.get("/api/issues", summary="Every issue, by date (the JSON of `bantin list --json`)")
    def api_issues() -> list[dict[str, Any]]:
        return [r.summary() for r in reader.issues()]

    @app.get("/api/issues/{issue_id}", summary="One issue with its pages' text (`bantin show --json`)")
    def api_issue(issue_id: str) -> dict[str, Any]:
        record = reader.issue(issue_id)
        return issue_json(reader.archive, record, record.pages, load_articles(reader.archive, record))

    @app.get("/api/issues/{issue_id}/pages/{n:int}/words",
             summary="Word boxes to outline for a query, in the pixels of the page's raster")
    def api_words(issue_id: str, n: int, q: str) -> dict[str, Any]:
        record = reader.issue(issue_id)
        info = reader.page(record, n)
        marks = search(reader.index(), q, limit=1000, issue=record.id).marks
        return {"width": info.width, "height": info.height,
                "words": [box.__dict__ for box in _boxes(reader, record, n, marks)]}

    @app.get("/api/report/searches", summary="Searches per week, frequent and unmet queries "
             "(the JSON of `bantin report searches --json`)")
    def api_report(since: str = "") -> dict[str, object]:
        return _report(search_log, since).to_dict()

    article_routes.add_routes(app, reader, page, marked)

    @app.get("/report/searches", response_class=HTMLResponse, include_in_schema=False)
    def report_page(request: Request, since: str = "") -> HTMLResponse:
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
    the search log's folder from $BANTIN_LOG_DIR."""
    log_dir = os.environ.get("BANTIN_LOG_DIR")
    return create_app(Path(os.environ["BANTIN_ARCHIVE"]), Path(log_dir) if log_dir else None)


def _report(search_log: SearchLog | None, since: str) -> SearchReport:
    if since and not DATE.fullmatch(since):
        raise QueryError(f"{since} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    if search_log is None:
        return SearchReport(0, {})
    parts = [int(p) for p in since.split("-")] + [1, 1] if since else []
    return report(search_log.entries(date(parts[0], parts[1], parts[2]) if parts else None))


def _search(
    reader: ArchiveReader, q: str, limit: int, offset: int, year: str, date_from: str, date_to: str,
    sort: str,
) -> SearchResults:
    if year and not re.fullmatch(r"(19|20)\d{2}", year):
        raise QueryError(f"{year} is not a year")
    for value in (date_from, date_to):
        if value and not DATE.fullmatch(value):
            raise QueryError(f"{value} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}")
    return search(reader.index(), q, limit=limit, offset=offset, year=int(year) if year else None,
                  date_from=date_from or None, date_to=date_to or None, sort=sort)


def _boxes(reader: ArchiveReader, record: IssueRecord, n: int, marks: Marks) -> list[Any]:
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


def _file(request: Request, served: ServedFile, download_name: str | None = None) -> Response:
    etag = f'"{served.etag}"'
    headers = {"ETag": etag, "Cache-Control": CACHE}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    response = FileResponse(served.path, media_type=served.media_type, filename=download_name,
                            content_disposition_type="inline")
    response.headers.update(headers)
    return response


def marked(text: str, spans: list[tuple[int, int]]) -> Markup:
    """Untrusted OCR text, escaped, with the given spans in <mark>."""
    out, last = [], 0
    for start, end in spans:
        out += [escape(text[last:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)

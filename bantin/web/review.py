"""Review and correct text (archivists): the pages ``bantin report pages`` lists, worst
first, and a page's lines each beside its crop of the scan, corrected one line at a time
(``bantin correct`` does the same). The lines keep their boundaries, so phrase search and
the boxes outlined on the page still work."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from archive import ArchiveError, IssueNotFound
from archive.checks import pages_to_check
from archive.corrections import corrections
from archive.hocr import hocr_lines
from bantin.editing import correct_lines
from bantin.web.auth import check_csrf, require_archivist
from bantin.web.files import cached_bytes
from bantin.web.reader import ArchiveReader

PageFn = Callable[..., HTMLResponse]
REVIEW_BELOW = 80.0  # mean word confidence under which a page is listed, as the CLI's default


def add_routes(app: FastAPI, reader: ArchiveReader, page: PageFn) -> None:
    @app.get("/review", response_class=HTMLResponse, include_in_schema=False)
    def review(request: Request) -> HTMLResponse:
        who = require_archivist(request)
        visible = {r.id for r in reader.issues(who)}
        checks = [c for c in pages_to_check(reader.archive, REVIEW_BELOW) if c.issue in visible]
        return page(request, "review.html", checks=checks, below=REVIEW_BELOW)

    @app.get("/issues/{issue_id}/pages/{n:int}/correct", response_class=HTMLResponse, include_in_schema=False)
    def correct_page(request: Request, issue_id: str, n: int, done: str = "") -> HTMLResponse:
        who = require_archivist(request)
        record = reader.issue(issue_id, who)
        reader.page(record, n)
        hocr = reader.archive.page_file(record.id, n, ".hocr").read_text(encoding="utf-8")
        history = corrections(reader.archive, record.id, n)
        return page(request, "correct.html", record=record, n=n, lines=hocr_lines(hocr),
                    history=list(reversed(history)), fixed={c.line for c in history}, done=done or None)

    @app.get("/issues/{issue_id}/pages/{n:int}/lines/{k:int}.jpg", include_in_schema=False)
    def line_image(request: Request, issue_id: str, n: int, k: int) -> Response:
        who = require_archivist(request)
        record = reader.issue(issue_id, who)
        hocr = reader.archive.page_file(record.id, n, ".hocr").read_text(encoding="utf-8")
        line = next((line for line in hocr_lines(hocr) if line.index == k), None)
        if line is None:
            raise IssueNotFound(f"page {n} has no line {k}")
        data, etag = reader.region_image(record, n, (line.x0, line.y0, line.x1, line.y1))
        return cached_bytes(request, record, data, f'"{etag}"')

    @app.post("/issues/{issue_id}/pages/{n:int}/lines/{k:int}", include_in_schema=False)
    async def save_line(request: Request, issue_id: str, n: int, k: int) -> Response:
        who = require_archivist(request)
        record = reader.issue(issue_id, who)
        form = await request.form()
        check_csrf(request, form)
        text = str(form.get("text") or "")
        try:
            made = await run_in_threadpool(correct_lines, reader.archive.root, record.id, n, {k: text},
                                           by=who.user.name if who.user else None, wait=True)
        except ArchiveError as exc:
            done = f"Không lưu được dòng {k}: {exc}"
        else:
            done = f"Đã lưu dòng {k}." if made else f"Dòng {k} không đổi."
        target = f"/issues/{record.id}/pages/{n}/correct?{urlencode({'done': done})}#line-{k}"
        return RedirectResponse(target, status_code=303)

"""The archivists' workbench: upload scans (a page in the browser, or the API) into the
ingest queue and follow each job; correct an issue's metadata through the API.

A change made from a browser is a form carrying its CSRF token; a change through the
API takes an archivist's token (``Authorization: Bearer``), never a cookie that another
site's form could send along. Reading a job's state is open to both."""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from archive import ArchiveError, IssueNotFound, IssueRecord
from bantin.accounts import Viewer
from bantin.editing import ArticleEdit, edit_articles, edit_issue
from bantin.jobs import MANIFEST, JobQueue, JobWorker
from bantin.web.auth import WebError, check_csrf, require_archivist, require_token_archivist
from bantin.web.reader import ArchiveReader

MAX_UPLOAD_BYTES = 2 * 1024**3  # one request's files together
EDIT_FIELDS = ("number", "date", "title", "visibility")
UNSAFE = re.compile(r"[^\w.() -]+")
PageFn = Callable[..., HTMLResponse]


class TooLarge(WebError):
    """An upload over the limit."""

    http_status = 413


class NoFiles(WebError):
    """An upload without a file."""


def upload_name(name: str) -> str:
    """Where a file from the browser lands in its job's folder: its relative path (a
    folder dropped whole keeps its folder, one issue) with each part reduced to what no
    path or shell could misread; nothing can climb out."""
    parts = [UNSAFE.sub("_", p).strip(" .") for p in PurePosixPath(name.replace("\\", "/")).parts]
    kept = [p for p in parts if p and p != "/"]
    return "/".join(kept[-2:]) or "upload"  # a page folder, or a file


def add_routes(app: FastAPI, reader: ArchiveReader, queue: JobQueue, worker: JobWorker, page: PageFn) -> None:
    async def receive(request: Request, form: FormData, who: Viewer) -> int:
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        if not uploads:
            raise NoFiles("Chưa chọn tệp nào (trường 'files').")
        folder = queue.folder()
        names: list[str] = []
        for upload in uploads:
            name = upload_name(upload.filename or "")
            while name in names:
                last = PurePosixPath(name)
                name = str(last.with_name(f"_{last.name}"))
            await run_in_threadpool(_save, upload, folder / name)
            names.append(name)
        manifest = form.get("manifest")
        if isinstance(manifest, UploadFile) and manifest.filename:
            await run_in_threadpool(_save, manifest, folder / MANIFEST)
        job = queue.add(folder, names, who.user.name if who.user else "")
        worker.wake.set()
        return job

    def within_limit(request: Request) -> None:
        size = int(request.headers.get("content-length") or 0)
        if size > MAX_UPLOAD_BYTES:
            raise TooLarge(f"Tải lên {size:,} byte: giới hạn là {MAX_UPLOAD_BYTES // 1024**2:,} MB mỗi lần.")

    @app.post("/api/ingest", status_code=202, summary="Queue files for ingest (multipart field "
              "`files`, optional `manifest` CSV); answers {\"job\": ID}")
    async def api_ingest(request: Request) -> JSONResponse:
        who = require_token_archivist(request)
        within_limit(request)
        return JSONResponse({"job": await receive(request, await request.form(), who)}, status_code=202)

    @app.get("/api/jobs/{job_id:int}", summary="An ingest job: state, pages done, ETA, each file's outcome")
    def api_job(request: Request, job_id: int) -> dict[str, Any]:
        require_archivist(request)
        job = queue.job(job_id)
        if job is None:
            raise IssueNotFound(f"no job {job_id}")
        return job.to_dict()

    @app.get("/upload", response_class=HTMLResponse, include_in_schema=False)
    def upload_page(request: Request) -> HTMLResponse:
        require_archivist(request)
        return page(request, "upload.html", jobs=queue.recent(), limit_mb=MAX_UPLOAD_BYTES // 1024**2)

    @app.post("/upload", include_in_schema=False)
    async def upload(request: Request) -> Response:
        who = require_archivist(request)
        within_limit(request)
        form = await request.form()
        check_csrf(request, form)
        return RedirectResponse(f"/jobs/{await receive(request, form, who)}", status_code=303)

    @app.get("/jobs/{job_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def job_page(request: Request, job_id: int) -> HTMLResponse:
        require_archivist(request)
        job = queue.job(job_id)
        if job is None:
            raise IssueNotFound(f"Không có lượt nhập {job_id}")
        return page(request, "job.html", job=job)

    @app.get("/issues/{issue_id}/edit", response_class=HTMLResponse, include_in_schema=False)
    def edit_page(request: Request, issue_id: str, done: str = "") -> HTMLResponse:
        who = require_archivist(request)
        record = reader.issue(issue_id, who)
        return page(request, "edit.html", record=record, contents=reader.articles(record).articles,
                    done=done or None, error=None)

    @app.post("/issues/{issue_id}/edit", include_in_schema=False)
    async def edit(request: Request, issue_id: str) -> Response:
        """The metadata and the article titles and joins, as ``bantin edit`` does them."""
        who = require_archivist(request)
        record = reader.issue(issue_id, who)
        form = await request.form()
        check_csrf(request, form)
        contents = reader.articles(record).articles
        note = str(form.get("note") or "").strip() or None
        by = who.user.name if who.user else None
        try:
            changes = _changes(record, form)
            edits = [ArticleEdit(a.id, title if title != a.title else None, join)
                     for a in contents
                     for title, join in [(_text(form, f"title-{a.id}"), bool(form.get(f"join-{a.id}")))]
                     if join or (title and title != a.title)]
            split = _text(form, "split")
            if split:
                page_line = re.fullmatch(r"(\d+)\s*:\s*(\d+)", split)
                if page_line is None:
                    raise ValueError("Tách bài: ghi TRANG:DÒNG, ví dụ 2:14.")
                edits.append(ArticleEdit(split=(int(page_line.group(1)), int(page_line.group(2)))))
            if changes:
                await run_in_threadpool(edit_issue, reader.archive.root, record.id, changes, note, by=by,
                                        wait=True)
            if edits:
                await run_in_threadpool(edit_articles, reader.archive.root, record.id, edits, note, by=by,
                                        wait=True)
        except (ArchiveError, ValueError) as exc:
            return page(request, "edit.html", 400, record=record, contents=contents, done=None,
                        error=str(exc))
        count = len(changes) + len(edits)
        done = f"Đã lưu {count} thay đổi." if count else "Không có gì thay đổi."
        return RedirectResponse(f"/issues/{record.id}/edit?{urlencode({'done': done})}", status_code=303)

    @app.patch("/api/issues/{issue_id}", summary="Correct an issue's number, date, title or visibility "
               "(`bantin edit`); the history keeps each change")
    async def api_edit(request: Request, issue_id: str) -> Response:
        who = require_token_archivist(request)
        record = reader.issue(issue_id, who)
        body = await request.json()
        if not isinstance(body, dict) or not set(body) <= {*EDIT_FIELDS, "note"}:
            fields = ", ".join(EDIT_FIELDS)
            return JSONResponse({"error": f"send a JSON object with some of {fields} and note"}, 400)
        changes = {k: body[k] for k in EDIT_FIELDS if k in body}
        edited = await run_in_threadpool(edit_issue, reader.archive.root, record.id, changes,
                                         body.get("note"), wait=True)
        return JSONResponse(edited.summary())


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return unicodedata.normalize("NFC", value.strip()) if isinstance(value, str) else ""


def _changes(record: IssueRecord, form: FormData) -> dict[str, Any]:
    """The metadata the edit form changes (a field left empty keeps its value; an empty
    title clears it)."""
    number, date, title = _text(form, "number"), _text(form, "date"), _text(form, "title")
    visibility = _text(form, "visibility") or record.visibility
    wanted: dict[str, Any] = {
        "number": int(number) if number else record.number,
        "date": date or record.date,
        "title": title or None,
        "visibility": visibility,
    }
    if wanted["number"] is not None and not 0 <= wanted["number"] <= 100_000:
        raise ValueError("Số báo phải từ 0 đến 100000.")
    return {k: v for k, v in wanted.items() if v != getattr(record, k)}


def _save(upload: UploadFile, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)

"""The archivists' side of the API: ingest uploads through the queue, follow a job,
correct an issue's metadata. Changes take an archivist's API token (never a browser
cookie, which another site's form could send along)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from archive import IssueNotFound
from bantin.editing import edit_issue
from bantin.jobs import JobQueue, JobWorker
from bantin.web.auth import Forbidden, require_token_archivist
from bantin.web.reader import ArchiveReader

MAX_UPLOAD_BYTES = 2 * 1024**3  # one request's files together
EDIT_FIELDS = ("number", "date", "title", "visibility")
SAFE_NAME = re.compile(r"[^\w.() -]+")


class TooLarge(Forbidden):
    """An upload over the limit."""

    http_status = 413


def upload_name(name: str) -> str:
    """A file name from the browser as it may stand in the archive's upload folder: its
    last part, with nothing a path or a shell could read."""
    cleaned = SAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).strip(" .")
    return cleaned or "upload"


def add_routes(app: FastAPI, reader: ArchiveReader, queue: JobQueue, worker: JobWorker) -> None:
    @app.post("/api/ingest", status_code=202, summary="Queue files for ingest (multipart field "
              "`files`); answers {\"job\": ID}")
    async def api_ingest(request: Request) -> JSONResponse:
        who = require_token_archivist(request)
        size = int(request.headers.get("content-length") or 0)
        if size > MAX_UPLOAD_BYTES:
            raise TooLarge(f"Tải lên {size} byte: giới hạn là {MAX_UPLOAD_BYTES // 1024**2} MB mỗi lần.")
        form = await request.form()
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not uploads:
            return JSONResponse({"error": "Không có tệp nào: gửi tệp trong trường multipart 'files'."}, 400)
        folder = queue.folder()
        names: list[str] = []
        for upload in uploads:
            name = upload_name(upload.filename or "")
            while name in names:
                name = f"_{name}"
            await run_in_threadpool(_save, upload, folder / name)
            names.append(name)
        job = queue.add(folder, names, who.user.name if who.user else "")
        worker.wake.set()
        return JSONResponse({"job": job}, status_code=202)

    @app.get("/api/jobs/{job_id:int}", summary="An ingest job: state, pages done, each file's outcome")
    def api_job(request: Request, job_id: int) -> dict[str, Any]:
        require_token_archivist(request)
        job = queue.job(job_id)
        if job is None:
            raise IssueNotFound(f"no job {job_id}")
        return job.to_dict()

    @app.patch("/api/issues/{issue_id}", summary="Correct an issue's number, date, title or visibility "
               "(`bantin edit`); the history keeps each change")
    async def api_edit(request: Request, issue_id: str) -> dict[str, Any]:
        who = require_token_archivist(request)
        record = reader.issue(issue_id, who)
        body = await request.json()
        if not isinstance(body, dict) or not set(body) <= {*EDIT_FIELDS, "note"}:
            return JSONResponse(  # type: ignore[return-value]
                {"error": f"send a JSON object with some of {', '.join(EDIT_FIELDS)} and note"}, 400)
        changes = {k: body[k] for k in EDIT_FIELDS if k in body}
        edited = await run_in_threadpool(edit_issue, reader.archive.root, record.id, changes,
                                         body.get("note"), wait=True)
        return edited.summary()


def _save(upload: UploadFile, path: Path) -> None:
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)

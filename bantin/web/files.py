"""Archive files and images made from them, with the cache headers a file's issue allows."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import FileResponse, Response

from archive import IssueRecord
from bantin.web.auth import viewer
from bantin.web.reader import ServedFile

CACHE = "public, max-age=86400"  # archived files never change under their sha256
PRIVATE_CACHE = "private, max-age=86400"


def cache_control(request: Request, record: IssueRecord) -> str:
    """Files anyone may read may be kept by any cache; the others (an internal issue's, or
    every issue's when anonymous visitors see nothing) only by the browser that fetched
    them: a shared proxy would hand them to anyone."""
    public = record.visibility == "public" and viewer(request).anonymous_public
    return CACHE if public else PRIVATE_CACHE


def cached_bytes(request: Request, record: IssueRecord, data: bytes, etag: str,
                 media_type: str = "image/jpeg") -> Response:
    headers = {"ETag": etag, "Cache-Control": cache_control(request, record)}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


def archive_file(request: Request, record: IssueRecord, file: ServedFile,
                 download_name: str | None = None) -> Response:
    etag = f'"{file.etag}"'
    headers = {"ETag": etag, "Cache-Control": cache_control(request, record)}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    response = FileResponse(file.path, media_type=file.media_type, filename=download_name,
                            content_disposition_type="inline")
    response.headers.update(headers)
    return response

"""Usage figures for the Party committees ("Thống kê sử dụng"): views and searches per
ISO week and per issue, with the searches that found nothing; archivists and admins only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from archive.errors import _
from archive.format import first_day
from bantin.usage import Usage, UsageReport
from bantin.web.auth import require_archivist
from bantin.web.reader import ArchiveReader
from index import QueryError
from index.searchlog import SearchReport

PageFn = Callable[..., HTMLResponse]
ReportFn = Callable[[str], SearchReport]


def since_date(since: str) -> date | None:
    """'2026', '2026-03' or '2026-03-09' as the first day it names."""
    if not since:
        return None
    day = first_day(since)
    if day is None:
        raise QueryError(_("{value} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)").format(value=since))
    return day


def add_routes(app: FastAPI, reader: ArchiveReader, usage: Usage, page: PageFn, searches: ReportFn) -> None:
    def figures(request: Request, since: str) -> tuple[UsageReport, dict[str, Any]]:
        who = require_archivist(request)
        records = {r.id: r for r in reader.issues(who)}
        return usage.report(since_date(since), set(records)), records

    @app.get("/usage", response_class=HTMLResponse, include_in_schema=False)
    def usage_page(request: Request, since: str = "") -> HTMLResponse:
        report, records = figures(request, since)
        return page(request, "usage.html", report=report, records=records, since=since,
                    unmet=searches(since).unmet)

    @app.get("/api/report/usage", summary="Views and searches per week and per issue, and the "
             "searches that found nothing (the JSON of `bantin report usage --json`)")
    def api_usage(request: Request, since: str = "") -> Response:
        report, _ = figures(request, since)
        return JSONResponse({**report.to_dict(), "unmet": [
            {"query": q.query, "count": q.count} for q in searches(since).unmet]})

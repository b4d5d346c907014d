"""What the CLI and the web both show: issue JSON, Vietnamese labels, citations."""

from __future__ import annotations

from typing import Any

from archive import Archive, IssueRecord, PageRecord
from index import IssueArticles

BULLETIN = "Thông tin sinh hoạt chi bộ"


def issue_json(archive: Archive, record: IssueRecord, pages: list[PageRecord],
               articles: IssueArticles) -> dict[str, Any]:
    """``bantin show --json`` and ``/api/issues/{id}``."""
    return {
        "id": record.id, "number": record.number, "date": record.date, "title": record.title,
        "source": record.source, "articles": [a.to_dict() for a in articles.articles],
        "pages": [{"n": p.n, "text": archive.page_text(record.id, p.n), "confidence": p.confidence,
                   "method": p.method} for p in pages],
    }


def number_label(number: int | None) -> str:
    return f"số {number:02d}" if number is not None else "số ?"


def date_label(date: str | None) -> str:
    """'2019-05' -> 'tháng 5/2019'; '2019-05-15' -> 'ngày 15/5/2019'."""
    if not date:
        return "không rõ ngày"
    parts = [int(p) for p in date.split("-")]
    if len(parts) == 3:
        return f"ngày {parts[2]}/{parts[1]}/{parts[0]}"
    if len(parts) == 2:
        return f"tháng {parts[1]}/{parts[0]}"
    return f"năm {parts[0]}"


def citation(record: IssueRecord, page: int) -> str:
    """'Thông tin sinh hoạt chi bộ, số 05, tháng 5/2019, trang 3'."""
    return f"{BULLETIN}, {number_label(record.number)}, {date_label(record.date)}, trang {page}"


def article_citation(record: IssueRecord, title: str, pages: list[int]) -> str:
    """'“Title”, Thông tin sinh hoạt chi bộ, số 05, tháng 5/2019, trang 1, 3'."""
    return (f"“{title}”, {BULLETIN}, {number_label(record.number)}, {date_label(record.date)}, "
            f"trang {', '.join(map(str, pages))}")

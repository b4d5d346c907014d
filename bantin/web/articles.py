"""Reading by article: the article view, its cropped regions, and the Atom feed of the
newest issues with their contents (the electronic bulletin cadres follow)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from archive import IssueNotFound
from bantin.present import BULLETIN, article_citation, date_label, number_label
from bantin.usage import Usage
from bantin.web.auth import viewer
from bantin.web.files import cached_bytes
from bantin.web.reader import ArchiveReader
from index import QueryError, search
from index.snippets import Marks, highlight_spans

FEED_ISSUES = 20

PageFn = Callable[..., HTMLResponse]
MarkFn = Callable[[str, list[tuple[int, int]]], Any]


def add_routes(app: FastAPI, reader: ArchiveReader, page: PageFn, marked: MarkFn, usage: Usage) -> None:
    @app.get("/issues/{issue_id}/articles/{n:int}", response_class=HTMLResponse, include_in_schema=False)
    def article_view(request: Request, issue_id: str, n: int, q: str = "") -> HTMLResponse:
        record = reader.issue(issue_id, viewer(request))
        found = reader.articles(record)
        article = found.article(n)
        if article is None:
            raise IssueNotFound(f"issue {record.id} has no article {n}")
        usage.count("article", record.id)
        marks: Marks = ()
        if q.strip():
            with suppress(QueryError):
                marks = search(reader.index(), q, limit=1, issue=record.id,
                               hidden=reader.hidden(viewer(request))).marks
        paragraphs = [marked(p, highlight_spans(p, marks)) for p in article.text.split("\n\n")]
        link = str(request.url_for("article_view", issue_id=record.id, n=n))
        return page(request, "article.html", record=record, article=article, q=q, paragraphs=paragraphs,
                    title=marked(article.title, highlight_spans(article.title, marks)),
                    previous=found.article(n - 1), next=found.article(n + 1),
                    citation=article_citation(record, article.title, article.pages), link=link)

    @app.get("/issues/{issue_id}/articles/{n:int}/regions/{k:int}.jpg", include_in_schema=False)
    def article_region(request: Request, issue_id: str, n: int, k: int) -> Response:
        record = reader.issue(issue_id, viewer(request))
        article = reader.articles(record).article(n)
        if article is None or not 0 <= k < len(article.regions):
            raise IssueNotFound(f"issue {record.id} has no such article region")
        region = article.regions[k]
        data, etag = reader.region_image(record, region.page, region.box)
        return cached_bytes(request, record, data, f'"{etag}"')

    @app.get("/feed.atom", include_in_schema=False)
    def feed(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        newest = sorted(reader.issues(viewer(request)), key=lambda r: (r.date or "", r.ingested_at),
                        reverse=True)
        records = newest[:FEED_ISSUES]
        entries = []
        for record in records:
            items = "".join(
                f"<li><a href=\"{base}/issues/{record.id}/articles/{a.id}\">{xml_escape(a.title)}</a>"
                f" (trang {', '.join(map(str, a.pages))})</li>" for a in reader.articles(record).articles)
            title = f"{BULLETIN}, {number_label(record.number)}, {date_label(record.date)}"
            entries.append(
                f"<entry><id>{base}/issues/{record.id}</id><title>{xml_escape(title)}</title>"
                f"<updated>{record.ingested_at or '1970-01-01T00:00:00+00:00'}</updated>"
                f"<link href=\"{base}/issues/{record.id}\"/>"
                f"<content type=\"html\">{xml_escape(f'<ol>{items}</ol>')}</content></entry>")
        updated = max((r.ingested_at for r in records), default="1970-01-01T00:00:00+00:00")
        body = ("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">"
                f"<id>{base}/feed.atom</id><title>{BULLETIN} – Bản tin điện tử</title>"
                f"<updated>{updated}</updated><link rel=\"self\" href=\"{base}/feed.atom\"/>"
                f"<author><name>{BULLETIN}</name></author>{''.join(entries)}</feed>")
        return Response(body, media_type="application/atom+xml; charset=utf-8")

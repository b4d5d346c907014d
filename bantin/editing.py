"""Correct an issue's metadata, its articles and its pages' lines with the search index
kept in step: one place for the CLI's ``bantin edit`` and ``bantin correct`` and the
web's edit pages and API, above pipeline, archive and index as ``ingesting`` is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive import Archive, ArchiveError, IssueNotFound, IssueRecord
from archive.corrections import LineCorrection, corrections
from archive.format import valid_date
from index import IssueArticles, open_index
from index.manager import Notify, index_lock
from index.trusted import issue_trusted_texts, update_trusted
from pipeline.amend import amend_lines
from pipeline.recorrect import WordChange, recorrect_issue
from vntext.diacritics import archive_model


@dataclass(frozen=True)
class ArticleEdit:
    """One correction of the segmentation: an article (its number in the issue's
    contents) gets a ``title`` or is ``join``ed to the one before it; or an article
    begins at ``split`` (page, hOCR line)."""

    article: int | None = None
    title: str | None = None
    join: bool = False
    split: tuple[int, int] | None = None


def edit_issue(archive_root: Path, issue_id: str, changes: dict[str, Any], note: str | None = None,
               *, by: str | None = None, wait: bool = False, notify: Notify | None = None) -> IssueRecord:
    """Apply ``changes`` (number, date, title, visibility) to an issue (an id or a unique
    prefix), keeping each in its history, and re-index it. Raises ArchiveError for a
    value the archive does not take."""
    if changes.get("date") is not None and not valid_date(changes["date"]):
        raise ArchiveError(f"{changes['date']!r} is not a real date (YYYY, YYYY-MM or YYYY-MM-DD)")
    archive = Archive.open(archive_root)
    with archive.writer_lock("edit", wait=wait):
        record = archive.edit(archive.resolve_id(issue_id), changes, note, by)
        open_index(archive_root, notify=notify).add_issue(record)
    return record


def edit_articles(archive_root: Path, issue_id: str, edits: list[ArticleEdit], note: str | None = None,
                  *, by: str | None = None, wait: bool = False,
                  notify: Notify | None = None) -> tuple[IssueRecord, IssueArticles]:
    """Record article corrections in the issue's history (where a new segmentation
    replays them), segment the issue again and re-index it; the articles after."""
    archive = Archive.open(archive_root)
    with archive.writer_lock("edit", wait=wait):
        record = archive.load_issue(archive.resolve_id(issue_id))
        index = open_index(archive_root, notify=notify)
        found = index.articles(record)
        for edit in edits:  # articles are named by the contents before any of these edits
            article = found.article(edit.article) if edit.article else None
            if edit.article and article is None:
                raise IssueNotFound(f"issue {record.id} has no article {edit.article}")
            if edit.split is not None:
                split = f"{edit.split[0]}:{edit.split[1]}"
                record = archive.edit_article(record.id, "article.split", edit.split, None, split, note, by)
            if article is not None and edit.title and edit.title != article.title:
                record = archive.edit_article(record.id, "article.title", article.start, article.title,
                                              edit.title, note, by)
            if article is not None and edit.join:
                record = archive.edit_article(record.id, "article.join", article.start, article.title,
                                              None, note, by)
        with index_lock(archive):
            index.put_issue(record, fresh=True)
            index.engine.commit()
        return record, index.articles(record)


def correct_lines(archive_root: Path, issue_id: str, n: int, lines: dict[int, str], *, by: str | None = None,
                  wait: bool = False, notify: Notify | None = None) -> list[LineCorrection]:
    """A person's correction of lines of page ``n`` (line index -> new text), carried into
    the page's text, hOCR and ``issue.pdf`` (``pipeline.amend``); the issue is segmented
    again and re-indexed. Returns the changes made."""
    archive = Archive.open(archive_root)
    with archive.writer_lock("correct", wait=wait):
        issue_id = archive.resolve_id(issue_id)
        before = {c.line for c in corrections(archive, issue_id, n)}
        record, made = amend_lines(archive, issue_id, n, lines, by)
        if made:
            index = open_index(archive_root, notify=notify)
            with index_lock(archive):
                index.put_issue(record, fresh=True)
                index.engine.commit()
                # the corrected lines are trusted text now (a line corrected before: its
                # earlier correction no longer is)
                update_trusted(archive, [c.new for c in made], tuple(c.old for c in made if c.line in before))
    return made


def recorrect(archive_root: Path, issue_ids: list[str] | None = None, *, dry_run: bool = False,
              wait: bool = False, notify: Notify | None = None) -> list[WordChange]:
    """Run the diacritic correction again over the archive's OCR'd pages (``issue_ids``:
    only these) with today's statistics and the archive's trusted text, without OCR;
    the words changed. Words people corrected are never touched; the index follows."""
    archive = Archive.open(archive_root)
    changes: list[WordChange] = []
    with archive.writer_lock("recorrect", wait=wait):
        model = archive_model(archive.trusted_counts)
        ids = [archive.resolve_id(i) for i in issue_ids] if issue_ids else archive.issue_ids()
        changed = []
        for issue_id in ids:
            record, found = recorrect_issue(archive, archive.load_issue(issue_id), model, dry_run)
            changes += found
            if found and not dry_run:
                changed.append(record)
        if changed:
            index = open_index(archive_root, notify=notify)
            with index_lock(archive):
                for record in changed:
                    index.put_issue(record, fresh=True)
                index.engine.commit()
    return changes


def remove_issue(archive_root: Path, issue_id: str, *, notify: Notify | None = None) -> IssueRecord:
    """Take an issue out of the index, the archive's trusted-text counts and the archive."""
    archive = Archive.open(archive_root)
    with archive.writer_lock("remove"):
        record = archive.load_issue(archive.resolve_id(issue_id))
        index = open_index(archive_root, notify=notify)
        index.remove_issue(record.id)
        with index_lock(archive):
            update_trusted(archive, [], tuple(issue_trusted_texts(archive, record)))
        archive.remove(record.id)
    return record

"""Usage figures for the Party committees: views of issues, articles and pages, and
searches, counted per ISO week and per issue in the state database. Counts only: no
person, no address, no query (what was searched for is the search log's business)."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

from bantin.state import State

KINDS = ("issue", "article", "page", "search")  # what is counted: a view of each, a search


def iso_week(day: date) -> str:
    """'2026-W49': the week a count belongs to."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Counts:
    issue: int = 0
    article: int = 0
    page: int = 0
    search: int = 0


@dataclass(frozen=True)
class WeekCounts(Counts):
    week: str = ""


@dataclass(frozen=True)
class IssueCounts(Counts):
    id: str = ""


@dataclass(frozen=True)
class UsageReport:
    since: str | None
    total: Counts
    weeks: list[WeekCounts] = field(default_factory=list)  # newest first
    issues: list[IssueCounts] = field(default_factory=list)  # most viewed first

    def to_dict(self) -> dict[str, object]:
        return {"since": self.since, "total": asdict(self.total),
                "weeks": [asdict(w) for w in self.weeks], "issues": [asdict(i) for i in self.issues]}

    def to_csv(self) -> str:
        """One row per week and kind of count, then per issue: ``scope,key,issue,article,page,search``."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["scope", "key", *KINDS])
        writer.writerow(["total", "", *(getattr(self.total, k) for k in KINDS)])
        writer.writerows(["week", w.week, *(getattr(w, k) for k in KINDS)] for w in self.weeks)
        writer.writerows(["issue", i.id, *(getattr(i, k) for k in KINDS)] for i in self.issues)
        return out.getvalue()


@dataclass
class Usage:
    state: State

    def count(self, kind: str, issue: str = "", when: datetime | None = None) -> None:
        """One more view (of an issue, article or page, with the issue's id) or search."""
        if kind not in KINDS:
            raise ValueError(f"unknown usage kind {kind!r}")
        week = iso_week((when or datetime.now(UTC)).date())
        self.state.db().execute(
            "INSERT INTO usage (week, kind, issue, count) VALUES (?, ?, ?, 1) "
            "ON CONFLICT (week, kind, issue) DO UPDATE SET count = count + 1", (week, kind, issue))

    def report(self, since: date | None = None, visible: set[str] | None = None) -> UsageReport:
        """Counts from the week holding ``since`` on; ``visible`` limits the issues named."""
        first = iso_week(since) if since else ""
        rows = self.state.db().execute(
            "SELECT week, kind, issue, count FROM usage WHERE week >= ?", (first,)).fetchall()
        weeks: dict[str, dict[str, int]] = {}
        issues: dict[str, dict[str, int]] = {}
        total: dict[str, int] = dict.fromkeys(KINDS, 0)
        for week, kind, issue, count in rows:
            total[kind] += count
            weeks.setdefault(week, dict.fromkeys(KINDS, 0))[kind] += count
            if issue and (visible is None or issue in visible):
                issues.setdefault(issue, dict.fromkeys(KINDS, 0))[kind] += count
        return UsageReport(
            since.isoformat() if since else None, Counts(**total),
            [WeekCounts(week=w, **c) for w, c in sorted(weeks.items(), reverse=True)],
            sorted((IssueCounts(id=i, **c) for i, c in issues.items()),
                   key=lambda i: (-(i.issue + i.article + i.page), i.id)),
        )

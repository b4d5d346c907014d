"""Accounts, roles and internal issues, tried against `bantin serve` on loopback as an
anonymous visitor, a reader and an archivist (by API token and by browser session), and
in a real Chromium: an internal issue is a 404 everywhere a byte of it could leave."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from playwright.sync_api import Browser, Page

from archive import Archive, ArchiveError
from bantin.accounts import Accounts, TooManyFailures
from bantin.composer import compose, save_born_digital
from bantin.ingesting import index_hooks
from bantin.samples import SampleIssue, save_text_pdf
from bantin.state import MIGRATIONS, State
from bantin.web import create_app
from index import IngestIndexer, open_index, search
from pipeline import IngestOptions, ingest
from tests.test_articles import SPEC
from tests.test_browser import Served, browser, serve, shoot

__all__ = ["browser"]  # the module's Chromium, shared with the browser tests

BANTIN = str(Path(sys.executable).parent / "bantin")
PASSWORD = "mat-khau-dai"
PUBLIC_FILE = "ban-tin-so-03-thang-03-2021.pdf"
PUBLIC_TEXT = [["Chi bộ thôn Tây sinh hoạt chuyên đề về phòng chống thiên tai năm 2021.",
                "Các đảng viên bàn cách giúp dân gia cố nhà cửa trước mùa mưa bão."]]
ARCHIVISTS_ONLY = re.compile(r"/(edit|correct)\b|/lines/")  # issue pages for archivists alone
# words that only the internal issue (tests/test_articles.SPEC) holds
INTERNAL_QUERY = "quy khuyen hoc dong ho nguyen"


def bantin(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([BANTIN, *args], input=stdin, capture_output=True, text=True, check=False)


def add_user(archive: Path, name: str, role: str) -> None:
    done = bantin("user", "add", name, "--role", role, "--archive", str(archive), stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr


def build_archive(work: Path) -> Path:
    """One public issue (born-digital text) and one internal issue with articles."""
    (work / "public").mkdir(parents=True)
    (work / "internal").mkdir()
    save_text_pdf(SampleIssue("public", PUBLIC_TEXT), work / "public" / PUBLIC_FILE)
    save_born_digital(compose(SPEC), work / "internal" / "ban-tin-so-05-2020.pdf")
    archive = work / "archive"
    for folder, visibility in (("public", None), ("internal", "internal")):
        report = ingest([work / folder], archive, IngestOptions(jobs=2, visibility=visibility),
                        index_hooks(IngestIndexer(archive)))
        assert report.ok, report.outcomes
    for name, role in (("doc-gia", "reader"), ("luu-tru", "archivist"), ("quan-tri", "admin")):
        add_user(archive, name, role)
    return archive


def ids(archive: Path) -> tuple[str, str]:
    records = Archive.open(archive).issues()
    internal = [r.id for r in records if r.visibility == "internal"]
    public = [r.id for r in records if r.source == PUBLIC_FILE]
    assert len(internal) == 1 and len(public) == 1
    return public[0], internal[0]


def token(archive: Path, name: str) -> dict[str, str]:
    done = bantin("user", "token", name, "--archive", str(archive))
    assert done.returncode == 0, done.stderr
    return {"Authorization": f"Bearer {done.stdout.strip()}"}


def sign_in(page: Page, url: str, name: str, then: str) -> None:
    """Sign in through the login form in the browser, on to ``then``."""
    page.goto(f"{url}/login?next={then}")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def login(url: str, name: str, password: str = PASSWORD) -> httpx.Client:
    """A client signed in through the login form, as a browser would be."""
    client = httpx.Client(base_url=url)
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = client.post("/login", data={"username": name, "password": password, "csrf": csrf.group(1)})
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(build_archive(tmp_path_factory.mktemp("accounts")))


def internal_urls(archive: Path, issue: str) -> list[str]:
    """Every URL that hands out a byte of an issue: each GET route of the app that names
    an issue (a route added later is tried too), an id prefix, and searches inside it."""
    paths = {route.path for route in create_app(archive).routes
             if isinstance(route, APIRoute) and "GET" in route.methods and "{issue_id}" in route.path}
    assert len(paths) >= 10
    urls = [re.sub(r"\{(\w+)(:int)?\}", lambda m: {"issue_id": issue, "k": "0"}.get(m.group(1), "1"), p)
            for p in sorted(paths)]
    # with a query too (the words route needs one: without, it is 422 for any issue)
    return [*(u for u in urls if not u.endswith("/words")), *(f"{u}?q=khuyen+hoc" for u in urls),
            f"/issues/{issue[:10]}"]


def test_an_internal_issue_is_a_404_for_anonymous_visitors_and_there_for_readers(site: Served) -> None:
    public, internal = ids(site.archive)
    anonymous = httpx.Client(base_url=site.url)
    reader_token = httpx.Client(base_url=site.url, headers=token(site.archive, "doc-gia"))
    reader_session = login(site.url, "doc-gia")
    archivist = httpx.Client(base_url=site.url, headers=token(site.archive, "luu-tru"))
    nowhere = "f" * 16
    for url in internal_urls(site.archive, internal):
        if ARCHIVISTS_ONLY.search(url):  # the same answer whether the issue exists or not
            assert anonymous.get(url).status_code == 303, url
            assert anonymous.get(url.replace(internal, nowhere)).status_code == 303
            assert reader_token.get(url).status_code == reader_session.get(url).status_code == 403, url
            assert archivist.get(url).status_code == 200, url
            continue
        assert anonymous.get(url).status_code == 404, url
        for signed in (reader_token, reader_session, archivist):
            assert signed.get(url).status_code == 200, url
    for url in internal_urls(site.archive, public):
        # the public issue, born-digital text in one block, has no articles
        wanted = 303 if ARCHIVISTS_ONLY.search(url) else 404 if "/articles/" in url else 200
        assert anonymous.get(url).status_code == wanted, url
    # search, counts, suggestion, listings and feed
    found = anonymous.get("/api/search", params={"q": INTERNAL_QUERY}).json()
    assert found["total"] == found["near_total"] == found["relaxed_total"] == 0 and not found["hits"]
    assert "khuyến" not in (found["suggestion"] or "")  # the word is the internal issue's alone
    seen = reader_token.get("/api/search", params={"q": INTERNAL_QUERY}).json()
    assert seen["total"] >= 1 and {h["issue"] for h in seen["hits"]} == {internal}
    assert "khuyến học" in (seen["suggestion"] or "")
    html = anonymous.get("/search", params={"q": INTERNAL_QUERY}).text
    assert "khuyến" not in html.lower() and internal not in html
    for url in ("/", "/api/issues", "/feed.atom", "/search?q=chi+bo"):
        body = anonymous.get(url).text
        assert internal not in body and "Kết nạp đoàn viên" not in body, url
        assert public in body, url
        assert internal in reader_session.get(url).text, url
    both = anonymous.get("/api/search", params={"q": "sinh hoat chi bo"}).json()["hits"]
    assert both and {h["issue"] for h in both} == {public}
    # an internal issue's files never land in a shared cache
    assert reader_token.get(f"/issues/{internal}/pages/1.jpg").headers["cache-control"].startswith("private")
    assert anonymous.get(f"/issues/{public}/pages/1.jpg").headers["cache-control"].startswith("public")


# Every route of the app, by who may use it; a route added later fails the matrix test
# below until it is placed here.
OPEN_GETS = {"/", "/api/issues", "/api/search", "/feed.atom", "/search", "/login", "/api/docs"}
ARCHIVIST_GETS = {"/review", "/upload", "/usage", "/report/searches", "/jobs/{job_id:int}",
                  "/api/jobs/{job_id:int}", "/api/report/searches", "/api/report/usage"}
ADMIN_GETS = {"/accounts"}
CHANGES = {("POST", "/api/ingest"), ("PATCH", "/api/issues/{issue_id}"), ("POST", "/upload"),
           ("POST", "/issues/{issue_id}/edit"), ("POST", "/issues/{issue_id}/pages/{n:int}/lines/{k:int}"),
           ("POST", "/accounts")}
SIGNING = {("POST", "/login"), ("POST", "/logout")}  # tried in test_login_sessions_csrf_and_logout


def test_every_route_as_anonymous_reader_archivist_and_admin(site: Served) -> None:
    """Each route of the app, as each kind of visitor: what an archivist or admin alone
    may see is refused to the others (the login page for a browser, 401 for the API,
    403 for a signed-in reader), and no change goes through without the role."""
    public, internal = ids(site.archive)
    routes = {(method, route.path) for route in create_app(site.archive).routes
              if isinstance(route, APIRoute) for method in route.methods}
    by_issue = {p for m, p in routes if m == "GET" and "{issue_id}" in p}  # the 404 test's
    placed = ({("GET", p) for p in OPEN_GETS | ARCHIVIST_GETS | ADMIN_GETS | by_issue}
              | CHANGES | SIGNING)
    assert routes == placed, routes ^ placed
    visitors = {"anonymous": httpx.Client(base_url=site.url), "reader": login(site.url, "doc-gia"),
                "reader token": httpx.Client(base_url=site.url, headers=token(site.archive, "doc-gia")),
                "archivist": login(site.url, "luu-tru"), "admin": login(site.url, "quan-tri")}

    def url(path: str, issue: str = public) -> str:
        return re.sub(r"\{(\w+)(:int)?\}", lambda m: {"issue_id": issue}.get(m.group(1), "1"), path)

    for who, client in visitors.items():
        for path in OPEN_GETS:
            assert client.get(url(path), params={"q": "chi bo"}).status_code == 200, (who, path)
        for path in ARCHIVIST_GETS | ADMIN_GETS:
            answer = client.get(url(path)).status_code
            if who == "anonymous":
                assert answer == (401 if path.startswith("/api/") else 303), (who, path)
            elif who.startswith("reader") or (who == "archivist" and path in ADMIN_GETS):
                assert answer == 403, (who, path)
            else:  # no job 1 exists: found out only by those who may look
                assert answer == (404 if "{job_id" in path else 200), (who, path)
        if who in ("archivist", "admin"):
            continue
        for method, path in CHANGES:
            for issue in (public, internal):
                answer = client.request(method, url(path, issue), data={"text": "x", "action": "add"},
                                        json=None).status_code
                refused = {401, 303} if who == "anonymous" else {403}
                if who == "anonymous" and issue == internal and "{issue_id}" in path:
                    refused.add(404)
                assert answer in refused, (who, method, path, issue, answer)
    # signing in goes on to a page of this site only, whatever ``next`` says
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client = httpx.Client(base_url=site.url)
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login", params={"next": target}).text)
        assert csrf is not None
        answer = client.post("/login", data={"username": "doc-gia", "password": PASSWORD,
                                             "csrf": csrf.group(1), "next": target})
        assert answer.status_code == 303 and answer.headers["location"] == "/", target
    # nothing of the attempts above changed an issue
    records = {r.id: r for r in Archive.open(site.archive).issues()}
    assert records[public].visibility == "public" and records[internal].visibility == "internal"


@pytest.mark.parametrize("engine", ["tantivy", "whoosh"])
def test_search_leaves_hidden_issues_out_in_both_engines(tmp_path: Path, engine: str) -> None:
    archive = build_archive(tmp_path)
    public, internal = ids(archive)
    index = open_index(archive, engine)
    everything = search(index, INTERNAL_QUERY)
    assert everything.total >= 1 and "khuyến học" in (everything.suggestion or "")
    hidden = search(index, INTERNAL_QUERY, hidden=frozenset({internal}))
    assert (hidden.total, hidden.near_total, hidden.relaxed_total, hidden.hits) == (0, 0, 0, [])
    assert "khuyến" not in (hidden.suggestion or "")
    shared = search(index, "chi bo", hidden=frozenset({internal}), limit=50)
    assert shared.hits and {h.issue for h in shared.hits} == {public}


def test_login_sessions_csrf_and_logout(site: Served) -> None:
    _, internal = ids(site.archive)
    client = httpx.Client(base_url=site.url)
    client.get("/login")
    refused = client.post("/login", data={"username": "doc-gia", "password": PASSWORD})
    assert refused.status_code == 403 and "bantin_session" not in client.cookies  # no CSRF token
    forged = client.post("/login", data={"username": "doc-gia", "password": PASSWORD, "csrf": "x" * 32})
    assert forged.status_code == 403
    wrong = login_form(client, "doc-gia", "sai-mat-khau")
    assert wrong.status_code == 401 and "không đúng" in wrong.text
    signed = login(site.url, "doc-gia")
    cookie = signed.cookies["bantin_session"]
    header = [h for h in signed.get("/login").headers.get_list("set-cookie")]
    assert signed.get(f"/issues/{internal}").status_code == 200
    assert "doc-gia" in signed.get("/").text
    # the logout form needs its token too
    assert signed.post("/logout", data={}).status_code == 403
    csrf = re.search(r'name="csrf" value="([^"]+)"', signed.get("/").text)
    assert csrf is not None
    assert signed.post("/logout", data={"csrf": csrf.group(1)}).status_code == 303
    replayed = httpx.Client(base_url=site.url, cookies={"bantin_session": cookie})
    assert replayed.get(f"/issues/{internal}").status_code == 404  # the old cookie opens nothing
    assert all("bantin_session" not in h for h in header)


def login_form(client: httpx.Client, name: str, password: str) -> httpx.Response:
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    return client.post("/login", data={"username": name, "password": password, "csrf": csrf.group(1)})


def test_session_cookie_flags(site: Served) -> None:
    client = httpx.Client(base_url=site.url)
    answer = login_form(client, "luu-tru", PASSWORD)
    assert answer.status_code == 303
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("bantin_session="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http on loopback; behind TLS it is Secure
    db = sqlite3.connect(site.archive / "state.sqlite3")
    stored = db.execute("SELECT token_hash FROM sessions").fetchall()
    raw = client.cookies["bantin_session"]
    assert raw not in {row[0] for row in stored}  # only its hash is kept
    assert answer.headers["location"] == "/"
    away = login_form(httpx.Client(base_url=site.url), "luu-tru", PASSWORD)
    assert away.headers["location"] == "/"
    client.close()


def test_role_changes_count_on_the_next_request(site: Served) -> None:
    add_user(site.archive, "can-bo", "reader")
    client = login(site.url, "can-bo")
    assert client.get("/usage").status_code == 403
    assert client.get("/api/report/usage").status_code == 403
    assert bantin("user", "role", "can-bo", "archivist", "--archive", str(site.archive)).returncode == 0
    assert client.get("/usage").status_code == 200
    assert "Thống kê sử dụng" in client.get("/usage").text
    assert bantin("user", "remove", "can-bo", "--archive", str(site.archive)).returncode == 0
    assert client.get("/usage").status_code == 303  # the account is gone: to the login page


def test_an_archivists_token_edits_and_ingests_and_a_readers_cannot(site: Served, tmp_path: Path) -> None:
    public, _ = ids(site.archive)
    archivist = httpx.Client(base_url=site.url, headers=token(site.archive, "luu-tru"), timeout=30)
    reader = httpx.Client(base_url=site.url, headers=token(site.archive, "doc-gia"))
    anonymous = httpx.Client(base_url=site.url)
    session = login(site.url, "luu-tru")
    change = {"title": "Số chuyên đề phòng chống thiên tai", "note": "theo bìa"}
    assert anonymous.patch(f"/api/issues/{public}", json=change).status_code == 401
    assert reader.patch(f"/api/issues/{public}", json=change).status_code == 403
    assert session.patch(f"/api/issues/{public}", json=change).status_code == 403  # cookies never change
    assert archivist.patch(f"/api/issues/{public}", json={"colour": "red"}).status_code == 400
    edited = archivist.patch(f"/api/issues/{public}", json=change)
    assert edited.status_code == 200 and edited.json()["title"] == change["title"]
    record = Archive.open(site.archive).load_issue(public)
    assert record.history[-1]["new"] == change["title"] and record.history[-1]["note"] == "theo bìa"
    assert archivist.patch("/api/issues/" + "0" * 64, json=change).status_code == 404
    # ingest through the queue
    pdf = tmp_path / "ban-tin-so-09-thang-09-2022.pdf"
    save_text_pdf(SampleIssue("new", [["Hội nghị bàn về chuyển đổi số ở xã Hòa Bình năm 2022."]]), pdf)
    files = {"files": (pdf.name, pdf.read_bytes(), "application/pdf")}
    assert reader.post("/api/ingest", files=files).status_code == 403
    assert session.post("/api/ingest", files=files).status_code == 403
    queued = archivist.post("/api/ingest", files=files)
    assert queued.status_code == 202, queued.text
    job = queued.json()["job"]
    assert reader.get(f"/api/jobs/{job}").status_code == 403
    for _ in range(300):
        state = archivist.get(f"/api/jobs/{job}").json()
        if state["state"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert state["state"] == "done", state
    [outcome] = state["outcomes"]
    assert outcome["path"] == pdf.name and outcome["status"] == "added" and outcome["issue_id"]
    hits = anonymous.get("/api/search", params={"q": "chuyen doi so xa hoa binh"}).json()["hits"]
    assert hits and hits[0]["issue"] == outcome["issue_id"]
    again = archivist.get(f"/api/jobs/{archivist.post('/api/ingest', files=files).json()['job']}")
    assert again.status_code == 200


def test_usage_figures_for_archivists_only(site: Served) -> None:
    public, internal = ids(site.archive)
    reader = login(site.url, "doc-gia")
    before = bantin("report", "usage", "--json", "--archive", str(site.archive))
    assert before.returncode == 0, before.stderr
    base = json.loads(before.stdout)["total"]
    reader.get(f"/issues/{internal}")
    reader.get(f"/issues/{internal}/pages/1")
    reader.get(f"/issues/{internal}/articles/2")
    reader.get("/search", params={"q": "chi bo"})
    after = json.loads(bantin("report", "usage", "--json", "--archive", str(site.archive)).stdout)
    total = after["total"]
    assert (total["issue"] - base["issue"], total["page"] - base["page"], total["article"] - base["article"],
            total["search"] - base["search"]) == (1, 1, 1, 1)
    assert after["weeks"] and re.fullmatch(r"\d{4}-W\d{2}", after["weeks"][0]["week"])
    assert internal in {i["id"] for i in after["issues"]}
    figures = httpx.Client(base_url=site.url, headers=token(site.archive, "quan-tri"))
    shown = figures.get("/api/report/usage").json()
    assert shown["total"]["issue"] >= total["issue"] and "unmet" in shown
    assert httpx.get(site.url + "/api/report/usage").status_code == 401
    assert reader.get("/api/report/usage").status_code == 403
    assert httpx.get(site.url + "/usage").status_code == 303
    table = bantin("report", "usage", "--csv", "--archive", str(site.archive)).stdout.splitlines()
    assert table[0] == "scope,key,issue,article,page,search" and table[1].startswith("total,,")
    # aggregates only: nothing in the state database names a person or an address
    db = sqlite3.connect(site.archive / "state.sqlite3")
    columns = {row[1] for row in db.execute("PRAGMA table_info(usage)")}
    assert columns == {"week", "kind", "issue", "count"}


def test_anonymous_none_and_the_login_limit(tmp_path: Path) -> None:
    archive = build_archive(tmp_path)
    _, internal = ids(archive)
    for served in serve(archive, "--anonymous", "none"):
        anonymous = httpx.Client(base_url=served.url)
        home = anonymous.get("/")
        assert home.status_code == 303 and home.headers["location"].startswith("/login")
        assert anonymous.get("/api/search", params={"q": "chi bo"}).status_code == 401
        assert anonymous.get("/feed.atom").status_code == 303
        assert anonymous.get("/login").status_code == 200
        assert anonymous.get("/static/style.css").status_code == 200
        reader = login(served.url, "doc-gia")
        assert reader.get(f"/issues/{internal}").status_code == 200
        assert reader.get("/api/search", params={"q": "chi bo"}).json()["total"] >= 1
        assert reader.get(f"/issues/{internal}/pages/1.jpg").headers["cache-control"].startswith("private")
        # ten failed logins in a minute from one address, then the eleventh is refused
        client = httpx.Client(base_url=served.url)
        codes = [login_form(client, "luu-tru", f"sai-{n}").status_code for n in range(11)]
        assert codes == [401] * 10 + [429]
        last = login_form(client, "luu-tru", PASSWORD)
        assert last.status_code == 429 and "quá nhiều" in last.text  # even with the right password
        assert last.headers["retry-after"] == "60"


def test_the_browser_signs_in_reads_an_internal_issue_and_signs_out(site: Served, browser: Browser) -> None:
    _, internal = ids(site.archive)
    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        assert page.goto(f"{site.url}/issues/{internal}/articles/2").status == 404  # type: ignore[union-attr]
        sign_in(page, site.url, "doc-gia", f"/issues/{internal}/articles/2")
        assert page.url.endswith(f"/issues/{internal}/articles/2")
        assert "Kết nạp đoàn viên" in page.inner_text("h1")
        shoot(page, f"signed-in-article-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["bantin_session"]["httpOnly"] and cookies["bantin_session"]["sameSite"] == "Lax"
        page.click("form.logout button")
        page.wait_for_load_state()
        assert "Đăng nhập" in page.inner_text("header")
        assert page.goto(f"{site.url}/issues/{internal}").status == 404  # type: ignore[union-attr]
        context.close()


def test_accounts_cli(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    Archive.open(archive, create=True)
    add_user(archive, "lan", "archivist")
    assert bantin("user", "add", "lan", "--archive", str(archive), stdin=PASSWORD + "\n").returncode == 7
    short = bantin("user", "add", "mai", "--archive", str(archive), stdin="ngan\n")
    assert short.returncode == 7 and "8 characters" in short.stderr
    assert bantin("user", "add", "mai", "--role", "boss", "--archive", str(archive),
                  stdin=PASSWORD + "\n").returncode == 2
    secret = bantin("user", "token", "lan", "--label", "máy quét", "--archive", str(archive)).stdout.strip()
    assert secret.startswith("bantin_")
    listed = json.loads(bantin("user", "list", "--json", "--archive", str(archive)).stdout)
    assert listed == [{"name": "lan", "role": "archivist", "created": listed[0]["created"], "tokens": 1}]
    tokens = bantin("user", "token", "lan", "--list", "--archive", str(archive)).stdout
    assert "máy quét" in tokens and secret not in tokens
    accounts = Accounts.of(State.open(archive))
    assert accounts.token_user(secret) is not None
    assert secret not in (archive / "state.sqlite3").read_bytes().decode("latin-1")
    token_id = tokens.split()[0]
    assert bantin("user", "token", "lan", "--revoke", token_id, "--archive", str(archive)).returncode == 0
    assert accounts.token_user(secret) is None
    assert bantin("user", "passwd", "lan", "--archive", str(archive), stdin="mat-khau-moi\n").returncode == 0
    assert accounts.login("lan", PASSWORD, "127.0.0.1") is None
    assert accounts.login("lan", "mat-khau-moi", "127.0.0.1") is not None
    assert bantin("user", "remove", "lan", "--archive", str(archive)).returncode == 0
    assert bantin("user", "list", "--json", "--archive", str(archive)).stdout.strip() == "[]"
    assert bantin("user", "remove", "lan", "--archive", str(archive)).returncode == 7


def test_state_schema_migrates_in_place(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    Archive.open(archive, create=True)
    old = sqlite3.connect(archive / "state.sqlite3")  # as the first bantin with accounts left it
    old.executescript(MIGRATIONS[0])
    old.execute("INSERT INTO users (name, role, password_hash, created) VALUES ('lan', 'reader', 'x', 'y')")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    state = State.open(archive)
    assert state.version == len(MIGRATIONS) >= 2
    assert state.db().execute("SELECT name FROM users").fetchall() == [("lan",)]
    assert state.db().execute("SELECT count(*) FROM jobs").fetchone() == (0,)
    assert state.db().execute("PRAGMA journal_mode").fetchone() == ("wal",)
    state.db().execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(ArchiveError, match="newer"):
        State.open(archive)


def test_archive_format_1_is_migrated_and_verifies(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    save_text_pdf(SampleIssue("x", PUBLIC_TEXT), tmp_path / "in" / "ban-tin-so-03-thang-03-2021.pdf")
    archive = tmp_path / "archive"
    assert ingest([tmp_path / "in"], archive, IngestOptions(jobs=1)).ok
    # make it what bantin wrote before visibility existed
    (archive / "archive.json").write_text(json.dumps({"format": "bantin-archive", "version": 1}))
    [issue_json] = archive.glob("issues/*/issue.json")
    data = json.loads(issue_json.read_text("utf-8"))
    del data["visibility"]
    issue_json.write_text(json.dumps({**data, "format_version": 1}, ensure_ascii=False), "utf-8")
    refused = bantin("list", "--archive", str(archive))
    assert refused.returncode == 3 and "bantin migrate" in refused.stderr
    moved = bantin("migrate", "--archive", str(archive))
    assert moved.returncode == 0 and "1 issues upgraded" in moved.stdout
    record = Archive.open(archive).issues()[0]
    assert record.visibility == "public" and record.format_version == 2
    assert bantin("verify", "--archive", str(archive)).returncode == 0
    assert "already" in bantin("migrate", "--archive", str(archive)).stdout


def test_visibility_of_new_issues_from_settings_and_edits(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    save_text_pdf(SampleIssue("x", PUBLIC_TEXT), tmp_path / "in" / "ban-tin-so-03-thang-03-2021.pdf")
    archive = tmp_path / "archive"
    Archive.open(archive, create=True)
    (archive / "settings.json").write_text(json.dumps({"default_visibility": "secret"}))
    bad = bantin("ingest", str(tmp_path / "in"), "--archive", str(archive), "--no-index")
    assert bad.returncode == 3 and "default_visibility" in bad.stderr
    (archive / "settings.json").write_text(json.dumps({"default_visibility": "internal"}))
    assert bantin("ingest", str(tmp_path / "in"), "--archive", str(archive)).returncode == 0
    [record] = Archive.open(archive).issues()
    assert record.visibility == "internal"
    shown = json.loads(bantin("list", "--json", "--archive", str(archive)).stdout)
    assert shown[0]["visibility"] == "internal"
    edited = bantin("edit", record.id[:8], "--visibility", "public", "--note", "đã giải mật",
                    "--archive", str(archive))
    assert edited.returncode == 0, edited.stderr
    record = Archive.open(archive).load_issue(record.id)
    assert record.visibility == "public"
    assert record.history[-1] == {**record.history[-1], "field": "visibility", "old": "internal",
                                  "new": "public", "note": "đã giải mật"}
    assert bantin("edit", record.id, "--visibility", "secret", "--archive", str(archive)).returncode == 2


def test_state_and_uploads_leave_verify_and_the_bag_alone(site: Served, tmp_path: Path) -> None:
    assert (site.archive / "state.sqlite3").is_file()
    (site.archive / "uploads").mkdir(exist_ok=True)
    checked = bantin("verify", "--archive", str(site.archive))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert bantin("export", "--bagit", str(tmp_path / "bag"), "--archive", str(site.archive)).returncode == 0
    exported = {p.name for p in (tmp_path / "bag").rglob("*")}
    assert "issue.json" in exported and not exported & {"state.sqlite3", "uploads", "state.sqlite3-wal"}


def test_admins_manage_accounts_in_the_browser(site: Served, browser: Browser) -> None:
    assert httpx.get(site.url + "/accounts").status_code == 303
    for role in ("doc-gia", "luu-tru"):
        assert login(site.url, role).get("/accounts").status_code == 403
    admin = login(site.url, "quan-tri")
    refused = admin.post("/accounts", data={"action": "add", "username": "x", "role": "reader",
                                            "password": PASSWORD})
    assert refused.status_code == 403  # no CSRF token
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, site.url, "quan-tri", "/accounts")
    form = page.locator("form:has(input[name=action][value=add])")
    form.locator("input[name=username]").fill("bi-thu")
    form.locator("select[name=role]").select_option("archivist")
    form.locator("input[name=password]").fill("mat-khau-bi-thu")
    form.locator("button").click()
    page.wait_for_load_state()
    assert "Đã tạo tài khoản bi-thu" in page.inner_text("main")
    shoot(page, "accounts-1280")
    assert Accounts.of(State.open(site.archive)).user("bi-thu").archivist
    assert login(site.url, "bi-thu", "mat-khau-bi-thu").get("/usage").status_code == 200
    page.locator("tr:has(td:text-is('bi-thu')) form:has(input[value=remove]) button").click()
    page.wait_for_load_state()
    assert "Đã xóa tài khoản bi-thu" in page.inner_text("main")
    assert "bi-thu" not in {a.name for a in Accounts.of(State.open(site.archive)).accounts()}
    context.close()


def test_an_archivist_corrects_an_issue_and_its_articles_in_the_browser(
    site: Served, browser: Browser
) -> None:
    _, internal = ids(site.archive)
    assert login(site.url, "doc-gia").get(f"/issues/{internal}/edit").status_code == 403
    archivist = login(site.url, "luu-tru")
    assert archivist.post(f"/issues/{internal}/edit", data={"number": "6"}).status_code == 403  # no CSRF
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    sign_in(page, site.url, "luu-tru", f"/issues/{internal}")
    page.click("text=Sửa thông tin và các bài")
    page.wait_for_load_state()
    page.fill("input[name=number]", "6")
    page.fill("input[name=title-2]", "Kết nạp đảng viên mới")
    page.fill("input[name=note]", "theo bản in")
    page.click("form.edit button[type=submit]")
    page.wait_for_load_state()
    assert "Đã lưu 2 thay đổi" in page.inner_text("main")
    history = page.inner_text("#history")
    assert "luu-tru" in history and "Kết nạp đảng viên mới" in history and "theo bản in" in history
    shoot(page, "edit-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
    record = Archive.open(site.archive).load_issue(internal)
    assert record.number == 6 and record.visibility == "internal"
    edits = {h["field"]: h.get("by") for h in record.history}
    assert edits == {"number": "luu-tru", "article.title": "luu-tru"}
    found = archivist.get("/api/search", params={"q": "ket nap dang vien moi"}).json()["hits"]
    assert found and found[0]["article"]["title"] == "Kết nạp đảng viên mới"
    bad = archivist.get(f"/issues/{internal}/edit").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', bad)
    assert csrf is not None
    refused = archivist.post(f"/issues/{internal}/edit", data={"date": "2020-13", "csrf": csrf.group(1)})
    assert refused.status_code == 400 and "not a real date" in refused.text
    # boundaries: the 3rd article joined to the 2nd, then split off again at its first line
    before = archivist.get(f"/api/issues/{internal}").json()["articles"]
    bad = archivist.post(f"/issues/{internal}/edit", data={"split": "x", "csrf": csrf.group(1)})
    assert bad.status_code == 400
    joined = archivist.post(f"/issues/{internal}/edit", data={"join-3": "1", "csrf": csrf.group(1)})
    assert joined.status_code == 303
    after = archivist.get(f"/api/issues/{internal}").json()["articles"]
    assert len(after) == len(before) - 1
    start = Archive.open(site.archive).load_issue(internal).history[-1]["anchor"]
    split = archivist.post(f"/issues/{internal}/edit", data={"split": f"{start[0]}:{start[1]}",
                                                               "csrf": csrf.group(1)})
    assert split.status_code == 303
    assert [a["title"] for a in archivist.get(f"/api/issues/{internal}").json()["articles"]] == \
        [a["title"] for a in before]


def test_failures_are_limited_per_account_across_addresses_and_cookies_are_secure_over_tls(
    tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    Archive.open(archive, create=True)
    add_user(archive, "lan", "reader")
    accounts = Accounts.of(State.open(archive))
    for k in range(10):  # a password tried from ten addresses
        assert accounts.login("lan", f"sai-{k}", f"10.0.0.{k}") is None
    with pytest.raises(TooManyFailures):
        accounts.login("lan", PASSWORD, "10.0.1.1")
    assert accounts.login("someone-else", "sai", "10.0.1.1") is None  # that address is not blocked
    from fastapi.testclient import TestClient

    add_user(archive, "mai", "reader")
    client = TestClient(create_app(archive), base_url="https://bantin.example")
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    answer = client.post("/login", data={"username": "mai", "password": PASSWORD, "csrf": csrf.group(1)},
                         follow_redirects=False)
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("bantin_session="))
    assert answer.status_code == 303 and "secure" in cookie.lower()

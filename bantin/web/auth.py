"""Who is asking, and signing in and out: sessions in an HttpOnly cookie, API tokens in
``Authorization: Bearer``, CSRF tokens on every form that changes something, and the
login page. Every request passes ``Gate.resolve`` (an app-wide dependency), which puts
the ``Viewer`` on ``request.state``; the views ask it what may be shown."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from archive import BantinError
from bantin.accounts import SESSION_SECONDS, Accounts, Role, TooManyFailures, User, Viewer

SESSION_COOKIE = "bantin_session"
CSRF_COOKIE = "bantin_csrf"
CSRF_FIELD = "csrf"
OPEN_PATHS = ("/login", "/static/", "/api/docs", "/api/openapi.json")  # reachable signed out


class NotSignedIn(BantinError):
    """The page needs an account (HTML: to the login page; API: 401)."""


class WebError(BantinError):
    """A request the web application refuses, with the HTTP status it answers."""

    http_status = 400


class Forbidden(WebError):
    """Signed in, but the role does not allow it."""

    http_status = 403


class BadToken(BantinError):
    """An API token that opens no account (401)."""


@dataclass(frozen=True)
class Gate:
    accounts: Accounts
    anonymous_public: bool  # anonymous visitors see public issues; False: nothing at all

    async def resolve(self, request: Request) -> None:
        """Put the request's Viewer and CSRF token on ``request.state``."""
        user = self._user(request)
        request.state.viewer = Viewer(user, self.anonymous_public)
        request.state.csrf_new = not request.cookies.get(CSRF_COOKIE)
        request.state.csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        if user is None and not self.anonymous_public and not request.url.path.startswith(OPEN_PATHS):
            raise NotSignedIn("Cần đăng nhập để xem kho bản tin.")

    def _user(self, request: Request) -> User | None:
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, secret = header.partition(" ")
            user = self.accounts.token_user(secret.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                raise BadToken("Mã truy cập API không hợp lệ.")
            request.state.by_token = True
            return user
        request.state.by_token = False
        session = request.cookies.get(SESSION_COOKIE)
        return self.accounts.session_user(session) if session else None


def viewer(request: Request) -> Viewer:
    found: Viewer = request.state.viewer
    return found


def require_archivist(request: Request) -> Viewer:
    """The viewer, who must be an archivist or admin."""
    found = viewer(request)
    if found.user is None:
        raise NotSignedIn("Cần đăng nhập bằng tài khoản cán bộ lưu trữ.")
    if not found.archivist:
        raise Forbidden("Trang này chỉ dành cho cán bộ lưu trữ và quản trị viên.")
    return found


def require_admin(request: Request) -> Viewer:
    found = require_archivist(request)
    if found.user is None or found.user.role != Role.admin:
        raise Forbidden("Trang này chỉ dành cho quản trị viên.")
    return found


def require_token_archivist(request: Request) -> Viewer:
    """An archivist's API token: a change through the API never rides on a browser's
    cookie, which another site's form could send along (CSRF)."""
    found = require_archivist(request)
    if not request.state.by_token:
        raise Forbidden("Thay đổi qua API cần mã truy cập (Authorization: Bearer).")
    return found


def check_csrf(request: Request, form: Any) -> None:
    """A form that changes something carries the token of the cookie it was served with."""
    sent = str(form.get(CSRF_FIELD) or "")
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise Forbidden("Biểu mẫu đã hết hạn hoặc không đến từ trang này; hãy tải lại trang và thử lại.")


def with_csrf_cookie(request: Request, response: Response) -> Response:
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
    return response


def _local(target: str) -> str:
    """Where to go after signing in: a path of this site only (no open redirect)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


def add_routes(app: FastAPI, gate: Gate, page: Any) -> None:
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        response: HTMLResponse = page(request, "login.html", next=_local(next), error=None)
        return response

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        check_csrf(request, form)
        name, password = str(form.get("username") or ""), str(form.get("password") or "")
        target = _local(str(form.get("next") or "/"))
        address = request.client.host if request.client else "unknown"
        try:
            user = gate.accounts.login(name, password, address)
        except TooManyFailures:
            response: Response = page(request, "login.html", 429, next=target, error=(
                "Đăng nhập sai quá nhiều lần. Hãy đợi một phút rồi thử lại."))
            response.headers["Retry-After"] = "60"
            return response
        if user is None:
            return page(request, "login.html", 401, next=target,  # type: ignore[no-any-return]
                        error="Tên đăng nhập hoặc mật khẩu không đúng.", username=name)
        redirect = RedirectResponse(target, status_code=303)
        redirect.set_cookie(SESSION_COOKIE, gate.accounts.start_session(user), max_age=SESSION_SECONDS,
                            httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/")
        return redirect

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        check_csrf(request, await request.form())
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            gate.accounts.end_session(session)
        redirect = RedirectResponse("/", status_code=303)
        redirect.delete_cookie(SESSION_COOKIE, path="/")
        return redirect


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

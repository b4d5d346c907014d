"""Account management for admins (``/accounts``): the same operations as ``bantin user``,
each a form with its CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bantin.accounts import AccountError, Accounts, Role
from bantin.web.auth import check_csrf, require_admin

PageFn = Callable[..., HTMLResponse]


def add_routes(app: FastAPI, accounts: Accounts, page: PageFn) -> None:
    def listing(request: Request, status: int = 200, error: str | None = None,
                done: str | None = None) -> HTMLResponse:
        return page(request, "accounts.html", status, accounts=accounts.accounts(),
                    roles=[str(r) for r in Role], error=error, done=done)

    @app.get("/accounts", response_class=HTMLResponse, include_in_schema=False)
    def accounts_page(request: Request, done: str = "") -> HTMLResponse:
        require_admin(request)
        return listing(request, done=done or None)

    @app.post("/accounts", include_in_schema=False)
    async def change(request: Request) -> Response:
        """One form per action: add, role, passwd, remove."""
        me = require_admin(request)
        form = await request.form()
        check_csrf(request, form)
        action, name = str(form.get("action") or ""), str(form.get("username") or "")
        try:
            if action == "add":
                accounts.add(name, str(form.get("role") or ""), str(form.get("password") or ""))
                done = f"Đã tạo tài khoản {name}."
            elif action == "role":
                if me.user is not None and name == me.user.name:
                    raise AccountError("Không thể tự đổi vai trò của mình (tránh mất quyền quản trị).")
                accounts.set_role(name, str(form.get("role") or ""))
                done = f"Đã đổi vai trò của {name}."
            elif action == "passwd":
                accounts.set_password(name, str(form.get("password") or ""))
                done = f"Đã đặt mật khẩu mới cho {name}; các phiên đăng nhập của tài khoản đã kết thúc."
            elif action == "remove":
                if me.user is not None and name == me.user.name:
                    raise AccountError("Không thể tự xóa tài khoản của mình.")
                accounts.remove(name)
                done = f"Đã xóa tài khoản {name}."
            else:
                raise AccountError(f"Thao tác không rõ: {action!r}")
        except AccountError as exc:
            return listing(request, 400, error=str(exc))
        return RedirectResponse(f"/accounts?{urlencode({'done': done})}", status_code=303)
